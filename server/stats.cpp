#include "server/stats.hpp"

namespace echo {

namespace {

std::string count_of(std::uint64_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

}  // namespace

// No default: a new ending must choose its label here, or the build warns (-Wswitch).
std::size_t metric_label(ending why) {
  constexpr auto label = [](std::string_view name) {
    std::size_t i = 0;
    while (ending_labels[i] != name) ++i;
    return i;
  };
  switch (why) {
    case ending::eof:
    case ending::once:
      return label("eof");
    case ending::reset:
    case ending::peer_stopped_reading:
      return label("reset");
    // A TLS handshake or PROXY header not finished within --handshake-timeout: the client went
    // quiet too soon, as with --idle-timeout (and the stats line's timed_out counts both).
    case ending::idle_timeout:
    case ending::handshake_timeout:
      return label("idle_timeout");
    case ending::write_timeout:
      return label("write_timeout");
    case ending::shutdown:
      return label("shutdown");
    case ending::impairment_reset:
      return label("impairment");
    case ending::refused:
    case ending::no_proxy_header:
    case ending::bad_proxy_header:
    case ending::tls_handshake_failed:
    case ending::line_too_long:
    case ending::error:
      return label("error");
  }
  return label("error");
}

std::string_view ending_word(ending why) {
  switch (why) {
    case ending::eof:
      return "eof";
    case ending::once:
      return "once";
    case ending::reset:
      return "reset by peer";
    case ending::peer_stopped_reading:
      return "peer stopped reading";
    case ending::idle_timeout:
      return "idle timeout";
    case ending::handshake_timeout:
      return "handshake timeout";
    case ending::write_timeout:
      return "write timeout";
    case ending::shutdown:
      return "shutdown";
    case ending::refused:
      return "refused";
    case ending::no_proxy_header:
      return "no PROXY header";
    case ending::bad_proxy_header:
      return "bad PROXY header";
    case ending::tls_handshake_failed:
      return "TLS handshake failed";
    case ending::line_too_long:
      return "line too long";
    case ending::impairment_reset:
      return "reset by --reset-after";
    case ending::error:
      return "";
  }
  return "";
}

void stats::count_ending(ending why, std::chrono::steady_clock::duration lasted) {
  ++closed_by[metric_label(why)];
  const double seconds = std::chrono::duration<double>(lasted).count();
  std::size_t bucket = 0;
  while (bucket < duration_bounds.size() && seconds > duration_bounds[bucket]) ++bucket;
  ++duration_buckets[bucket];
  duration_sum_us += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(lasted).count());
}

stats& stats::operator+=(const stats& other) {
  connections_total += other.connections_total.load();
  connections_active += other.connections_active.load();
  bytes_in += other.bytes_in.load();
  bytes_out += other.bytes_out.load();
  refused += other.refused.load();
  timed_out += other.timed_out.load();
  messages += other.messages.load();
  tls_handshake_failures += other.tls_handshake_failures.load();
  for (std::size_t i = 0; i < refused_by.size(); ++i) refused_by[i] += other.refused_by[i].load();
  for (std::size_t i = 0; i < closed_by.size(); ++i) closed_by[i] += other.closed_by[i].load();
  for (std::size_t i = 0; i < duration_buckets.size(); ++i) {
    duration_buckets[i] += other.duration_buckets[i].load();
  }
  duration_sum_us += other.duration_sum_us.load();
  has_udp = has_udp || other.has_udp;
  udp_datagrams_in += other.udp_datagrams_in.load();
  udp_datagrams_out += other.udp_datagrams_out.load();
  udp_bytes_in += other.udp_bytes_in.load();
  udp_bytes_out += other.udp_bytes_out.load();
  for (std::size_t i = 0; i < udp_dropped_by.size(); ++i) {
    udp_dropped_by[i] += other.udp_dropped_by[i].load();
  }
  for (std::size_t i = 0; i < impairment_events.size(); ++i) {
    impairment_events[i] += other.impairment_events[i].load();
  }
  return *this;
}

std::uint64_t stats::udp_dropped() const {
  std::uint64_t sum = 0;
  for (const counter& c : udp_dropped_by) sum += c.load();
  return sum;
}

std::string stats::summary() const {
  return "served " + count_of(connections_total, "connection", "connections") + ", " +
         count_of(bytes_in, "byte", "bytes") + " in, " + count_of(bytes_out, "byte", "bytes") +
         " out" + (refused != 0 ? ", " + std::to_string(refused.load()) + " refused" : "") +
         (timed_out != 0 ? ", " + std::to_string(timed_out.load()) + " timed out" : "") +
         (has_udp
              ? ", " + count_of(udp_datagrams_in, "datagram", "datagrams") + " in, " +
                    count_of(udp_datagrams_out, "datagram", "datagrams") + " out" +
                    (udp_dropped() != 0 ? " (" + std::to_string(udp_dropped()) + " dropped)" : "")
              : "");
}

std::string stats::name_values() const {
  return "connections_active=" + std::to_string(connections_active.load()) +
         " connections_total=" + std::to_string(connections_total.load()) +
         " bytes_in=" + std::to_string(bytes_in.load()) +
         " bytes_out=" + std::to_string(bytes_out.load()) +
         " refused=" + std::to_string(refused.load()) +
         " timed_out=" + std::to_string(timed_out.load()) +
         (has_udp ? " udp_datagrams_in=" + std::to_string(udp_datagrams_in.load()) +
                        " udp_datagrams_out=" + std::to_string(udp_datagrams_out.load()) +
                        " udp_bytes_in=" + std::to_string(udp_bytes_in.load()) +
                        " udp_bytes_out=" + std::to_string(udp_bytes_out.load()) +
                        " udp_dropped=" + std::to_string(udp_dropped())
                  : std::string());
}

}  // namespace echo
