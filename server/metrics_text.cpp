#include "server/metrics_text.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace echo {

namespace {

class exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += help;
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
  }
  // `labels`: "" or `reason="eof"` (the braces are added here).
  void sample(const char* name, const std::string& labels, std::uint64_t value) {
    sample(name, labels, std::to_string(value));
  }
  void sample(const char* name, const std::string& labels, const std::string& value) {
    text_ += name;
    if (!labels.empty()) text_ += "{" + labels + "}";
    text_ += ' ';
    text_ += value;
    text_ += '\n';
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

// Shortest text that reads back as the same double: Prometheus parses Go floats.
std::string number(double value) {
  char text[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
    return text;
  }
  std::snprintf(text, sizeof text, "%.17g", value);
  double back = 0;
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::sscanf(text, "%lf", &back) == 1 && back == value) break;
  }
  return text;
}

std::string reason(std::string_view name) { return "reason=\"" + std::string(name) + "\""; }

double seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000; }

void impairment_families(exposition& out, const stats& s, const impairment::settings& now) {
  out.family("echo_impairment_events_total", "counter",
             "What the impairment stage did, by kind (see --delay, --throttle, --loss, ...).");
  for (std::size_t i = 0; i < impairment::event_count; ++i) {
    out.sample("echo_impairment_events_total",
               "kind=\"" + std::string(impairment::event_names[i]) + "\"", s.impairment_events[i]);
  }
  const auto gauge = [&out](const char* name, const char* help, double value) {
    out.family(name, "gauge", help);
    out.sample(name, "", number(value));
  };
  gauge("echo_impairment_delay_seconds", "Delay added to each reply (--delay).",
        seconds(now.delay));
  gauge("echo_impairment_jitter_seconds", "Most random delay added on top (--jitter).",
        seconds(now.jitter));
  gauge("echo_impairment_throttle_bytes_per_second",
        "Reply rate per connection or UDP source, 0 for none (--throttle).",
        static_cast<double>(now.throttle));
  gauge("echo_impairment_loss_ratio", "Share of UDP replies dropped (--loss).",
        now.loss_percent / 100);
  gauge("echo_impairment_reset_after_bytes",
        "Bytes echoed before a picked connection is reset, 0 for never (--reset-after).",
        static_cast<double>(now.reset_after));
  gauge("echo_impairment_reset_chance_ratio",
        "Share of connections picked for the reset (--reset-chance).",
        now.reset_chance_percent / 100);
  gauge("echo_impairment_slice_bytes", "Largest piece of a reply, 0 for whole (--slice).",
        static_cast<double>(now.slice));
  gauge("echo_impairment_slice_gap_seconds", "Pause between the pieces (--slice-gap).",
        seconds(now.slice_gap));
  gauge("echo_impairment_stall_after_bytes",
        "Bytes read before a connection's reading stalls (--stall-after).",
        static_cast<double>(now.stall_after));
  gauge("echo_impairment_stall_seconds", "How long reading stalls, 0 for never (--stall).",
        seconds(now.stall));
}

}  // namespace

std::string prometheus_text(const stats& s, double process_start_time,
                            const impairment::settings& impairment) {
  exposition out;
  out.family("echo_connections_accepted_total", "counter", "Connections accepted and served.");
  out.sample("echo_connections_accepted_total", "", s.connections_total);
  out.family("echo_connections_active", "gauge", "Connections open now.");
  out.sample("echo_connections_active", "", s.connections_active);
  out.family("echo_connections_refused_total", "counter",
             "Connections turned away at once, by reason.");
  for (std::size_t i = 0; i < refusal_names.size(); ++i) {
    out.sample("echo_connections_refused_total", reason(refusal_names[i]), s.refused_by[i]);
  }
  out.family("echo_connections_closed_total", "counter", "Connections ended, by reason.");
  for (std::size_t i = 0; i < ending_labels.size(); ++i) {
    out.sample("echo_connections_closed_total", reason(ending_labels[i]), s.closed_by[i]);
  }
  out.family("echo_bytes_received_total", "counter", "Bytes read from clients.");
  out.sample("echo_bytes_received_total", "", s.bytes_in);
  out.family("echo_bytes_sent_total", "counter", "Bytes written to clients.");
  out.sample("echo_bytes_sent_total", "", s.bytes_out);
  out.family("echo_messages_total", "counter",
             "Messages answered in the line modes (prefix, ack, --once).");
  out.sample("echo_messages_total", "", s.messages);
  out.family("echo_tls_handshake_failures_total", "counter", "TLS handshakes that failed.");
  out.sample("echo_tls_handshake_failures_total", "", s.tls_handshake_failures);

  out.family("echo_udp_datagrams_received_total", "counter", "UDP datagrams received.");
  out.sample("echo_udp_datagrams_received_total", "", s.udp_datagrams_in);
  out.family("echo_udp_datagrams_sent_total", "counter", "UDP datagrams sent back.");
  out.sample("echo_udp_datagrams_sent_total", "", s.udp_datagrams_out);
  out.family("echo_udp_bytes_received_total", "counter", "Bytes received in UDP datagrams.");
  out.sample("echo_udp_bytes_received_total", "", s.udp_bytes_in);
  out.family("echo_udp_bytes_sent_total", "counter", "Bytes sent back in UDP datagrams.");
  out.sample("echo_udp_bytes_sent_total", "", s.udp_bytes_out);
  out.family("echo_udp_dropped_total", "counter", "UDP datagrams not answered, by reason.");
  for (std::size_t i = 0; i < udp_drop_names.size(); ++i) {
    out.sample("echo_udp_dropped_total", reason(udp_drop_names[i]), s.udp_dropped_by[i]);
  }
  impairment_families(out, s, impairment);

  out.family("echo_connection_duration_seconds", "histogram",
             "How long connections lasted, from accept to close.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < s.duration_buckets.size(); ++i) {
    cumulative += s.duration_buckets[i];
    const std::string le =
        i < stats::duration_bounds.size() ? number(stats::duration_bounds[i]) : "+Inf";
    out.sample("echo_connection_duration_seconds_bucket", "le=\"" + le + "\"", cumulative);
  }
  out.sample("echo_connection_duration_seconds_sum", "",
             number(static_cast<double>(s.duration_sum_us.load()) / 1e6));
  out.sample("echo_connection_duration_seconds_count", "", cumulative);

  out.family("process_start_time_seconds", "gauge",
             "Start time of the process since unix epoch in seconds.");
  out.sample("process_start_time_seconds", "", number(process_start_time));
  return out.take();
}

}  // namespace echo
