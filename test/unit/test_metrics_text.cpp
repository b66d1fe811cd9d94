// metrics_text: the Prometheus exposition text of a stats snapshot (what GET /metrics answers),
// the mapping of a session's close reasons to the closed_total labels, and the sum of the
// per-worker counters that --workers takes at scrape time.

#include "server/metrics_text.hpp"

#include "server/stats.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A snapshot whose every counter has a value of its own, so that a counter printed under the
// wrong name shows.
echo::stats known_stats() {
  echo::stats s;
  s.connections_total = 12;
  s.connections_active = 3;
  s.bytes_in = 3456;
  s.bytes_out = 3457;
  s.messages = 42;
  s.tls_handshake_failures = 2;
  s.udp_datagrams_in = 20;
  s.udp_datagrams_out = 13;
  s.udp_bytes_in = 1280;
  s.udp_bytes_out = 832;
  for (int i = 0; i < 5; ++i) s.count_udp_drop(echo::udp_drop::rate_limited);
  s.count_udp_drop(echo::udp_drop::low_port);
  s.count_udp_drop(echo::udp_drop::denied);
  s.count_refusal(echo::refusal::max_connections);
  s.count_refusal(echo::refusal::per_ip);
  s.count_refusal(echo::refusal::per_ip);
  s.count_refusal(echo::refusal::fd_exhausted);
  s.count_refusal(echo::refusal::fd_exhausted);
  s.count_refusal(echo::refusal::fd_exhausted);
  for (int i = 0; i < 4; ++i) s.count_refusal(echo::refusal::max_handshakes);
  for (int i = 0; i < 2; ++i) s.count_refusal(echo::refusal::denied);
  // Durations: in the first bucket, exactly on a bound (le is "less or equal"), in the middle,
  // and past the last bound (+Inf only). Sum: 0.0005 + 1 + 1 + 0.05 + 100000 s.
  s.count_ending(echo::ending::eof, microseconds(500));
  s.count_ending(echo::ending::eof, seconds(1));
  s.count_ending(echo::ending::reset, seconds(1));
  s.count_ending(echo::ending::idle_timeout, milliseconds(50));
  s.count_ending(echo::ending::shutdown, seconds(100000));
  s.count_ending(echo::ending::write_timeout, milliseconds(50));
  s.count_ending(echo::ending::error, milliseconds(50));
  s.count_ending(echo::ending::error, milliseconds(50));
  return s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("metrics_text: the whole page for a known snapshot", "[metrics_text]") {
  const std::string expected =
      "# HELP echo_connections_accepted_total Connections accepted and served.\n"
      "# TYPE echo_connections_accepted_total counter\n"
      "echo_connections_accepted_total 12\n"
      "# HELP echo_connections_active Connections open now.\n"
      "# TYPE echo_connections_active gauge\n"
      "echo_connections_active 3\n"
      "# HELP echo_connections_refused_total Connections turned away at once, by reason.\n"
      "# TYPE echo_connections_refused_total counter\n"
      "echo_connections_refused_total{reason=\"max_connections\"} 1\n"
      "echo_connections_refused_total{reason=\"per_ip\"} 2\n"
      "echo_connections_refused_total{reason=\"fd_exhausted\"} 3\n"
      "echo_connections_refused_total{reason=\"max_handshakes\"} 4\n"
      "echo_connections_refused_total{reason=\"denied\"} 2\n"
      "# HELP echo_connections_closed_total Connections ended, by reason.\n"
      "# TYPE echo_connections_closed_total counter\n"
      "echo_connections_closed_total{reason=\"eof\"} 2\n"
      "echo_connections_closed_total{reason=\"reset\"} 1\n"
      "echo_connections_closed_total{reason=\"idle_timeout\"} 1\n"
      "echo_connections_closed_total{reason=\"write_timeout\"} 1\n"
      "echo_connections_closed_total{reason=\"error\"} 2\n"
      "echo_connections_closed_total{reason=\"shutdown\"} 1\n"
      "echo_connections_closed_total{reason=\"impairment\"} 0\n"
      "# HELP echo_bytes_received_total Bytes read from clients.\n"
      "# TYPE echo_bytes_received_total counter\n"
      "echo_bytes_received_total 3456\n"
      "# HELP echo_bytes_sent_total Bytes written to clients.\n"
      "# TYPE echo_bytes_sent_total counter\n"
      "echo_bytes_sent_total 3457\n"
      "# HELP echo_messages_total Messages answered in the line modes (prefix, ack, --once).\n"
      "# TYPE echo_messages_total counter\n"
      "echo_messages_total 42\n"
      "# HELP echo_tls_handshake_failures_total TLS handshakes that failed.\n"
      "# TYPE echo_tls_handshake_failures_total counter\n"
      "echo_tls_handshake_failures_total 2\n"
      "# HELP echo_udp_datagrams_received_total UDP datagrams received.\n"
      "# TYPE echo_udp_datagrams_received_total counter\n"
      "echo_udp_datagrams_received_total 20\n"
      "# HELP echo_udp_datagrams_sent_total UDP datagrams sent back.\n"
      "# TYPE echo_udp_datagrams_sent_total counter\n"
      "echo_udp_datagrams_sent_total 13\n"
      "# HELP echo_udp_bytes_received_total Bytes received in UDP datagrams.\n"
      "# TYPE echo_udp_bytes_received_total counter\n"
      "echo_udp_bytes_received_total 1280\n"
      "# HELP echo_udp_bytes_sent_total Bytes sent back in UDP datagrams.\n"
      "# TYPE echo_udp_bytes_sent_total counter\n"
      "echo_udp_bytes_sent_total 832\n"
      "# HELP echo_udp_dropped_total UDP datagrams not answered, by reason.\n"
      "# TYPE echo_udp_dropped_total counter\n"
      "echo_udp_dropped_total{reason=\"rate_limited\"} 5\n"
      "echo_udp_dropped_total{reason=\"low_port\"} 1\n"
      "echo_udp_dropped_total{reason=\"truncated\"} 0\n"
      "echo_udp_dropped_total{reason=\"send_buffer_full\"} 0\n"
      "echo_udp_dropped_total{reason=\"denied\"} 1\n"
      "echo_udp_dropped_total{reason=\"error\"} 0\n"
      "echo_udp_dropped_total{reason=\"too_large\"} 0\n"
      "# HELP echo_connection_duration_seconds How long connections lasted, from accept to "
      "close.\n"
      "# TYPE echo_connection_duration_seconds histogram\n"
      "echo_connection_duration_seconds_bucket{le=\"0.001\"} 1\n"
      "echo_connection_duration_seconds_bucket{le=\"0.01\"} 1\n"
      "echo_connection_duration_seconds_bucket{le=\"0.1\"} 5\n"
      "echo_connection_duration_seconds_bucket{le=\"1\"} 7\n"
      "echo_connection_duration_seconds_bucket{le=\"10\"} 7\n"
      "echo_connection_duration_seconds_bucket{le=\"60\"} 7\n"
      "echo_connection_duration_seconds_bucket{le=\"300\"} 7\n"
      "echo_connection_duration_seconds_bucket{le=\"3600\"} 7\n"
      "echo_connection_duration_seconds_bucket{le=\"86400\"} 7\n"
      "echo_connection_duration_seconds_bucket{le=\"+Inf\"} 8\n"
      "echo_connection_duration_seconds_sum 100002.2005\n"
      "echo_connection_duration_seconds_count 8\n"
      "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
      "# TYPE process_start_time_seconds gauge\n"
      "process_start_time_seconds 1700000000.25\n";
  REQUIRE(echo::prometheus_text(known_stats(), 1700000000.25) == expected);
}

TEST_CASE("metrics_text: every family has HELP and TYPE before its samples", "[metrics_text]") {
  struct family {
    std::string name;
    std::string type;
  };
  const std::vector<family> families = {
      {"echo_connections_accepted_total", "counter"},
      {"echo_connections_active", "gauge"},
      {"echo_connections_refused_total", "counter"},
      {"echo_connections_closed_total", "counter"},
      {"echo_bytes_received_total", "counter"},
      {"echo_bytes_sent_total", "counter"},
      {"echo_messages_total", "counter"},
      {"echo_tls_handshake_failures_total", "counter"},
      {"echo_connection_duration_seconds", "histogram"},
      {"process_start_time_seconds", "gauge"},
  };
  const std::vector<std::string> lines = lines_of(echo::prometheus_text(echo::stats{}, 0));
  for (const auto& f : families) {
    CAPTURE(f.name);
    std::size_t help = lines.size();
    std::size_t first_sample = lines.size();
    std::size_t type = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].rfind("# HELP " + f.name + " ", 0) == 0) help = i;
      if (lines[i] == "# TYPE " + f.name + " " + f.type) type = i;
      if (first_sample == lines.size() && lines[i].rfind(f.name, 0) == 0) first_sample = i;
    }
    REQUIRE(help < lines.size());
    REQUIRE(type == help + 1);
    REQUIRE(first_sample == type + 1);
  }
}

TEST_CASE("metrics_text: a fresh server shows every label at zero", "[metrics_text]") {
  const std::string text = echo::prometheus_text(echo::stats{}, 1);
  for (const char* reason : {"max_connections", "per_ip", "fd_exhausted", "max_handshakes"}) {
    CAPTURE(reason);
    CHECK(text.find("echo_connections_refused_total{reason=\"" + std::string(reason) + "\"} 0\n") !=
          std::string::npos);
  }
  for (const char* reason :
       {"eof", "reset", "idle_timeout", "write_timeout", "error", "shutdown"}) {
    CAPTURE(reason);
    CHECK(text.find("echo_connections_closed_total{reason=\"" + std::string(reason) + "\"} 0\n") !=
          std::string::npos);
  }
  CHECK(text.find("echo_connection_duration_seconds_bucket{le=\"+Inf\"} 0\n") != std::string::npos);
  CHECK(text.find("echo_connection_duration_seconds_sum 0\n") != std::string::npos);
  CHECK(text.find("echo_connection_duration_seconds_count 0\n") != std::string::npos);
  CHECK(text.find("process_start_time_seconds 1\n") != std::string::npos);
}

TEST_CASE("metrics_text: histogram buckets are cumulative and +Inf equals _count",
          "[metrics_text]") {
  echo::stats s;
  const std::vector<std::chrono::microseconds> lasted = {
      microseconds(0),   microseconds(1000), microseconds(1001), milliseconds(10), milliseconds(99),
      milliseconds(999), seconds(59),        seconds(61),        seconds(299),     seconds(3599),
      seconds(86400),    seconds(86401),     seconds(10000000)};
  for (const auto d : lasted) s.count_ending(echo::ending::eof, d);
  const std::vector<std::string> lines = lines_of(echo::prometheus_text(s, 0));
  std::vector<std::uint64_t> buckets;
  std::uint64_t count = 0;
  std::string sum;
  for (const auto& line : lines) {
    if (line.rfind("echo_connection_duration_seconds_bucket", 0) == 0) {
      buckets.push_back(std::stoull(line.substr(line.rfind(' ') + 1)));
    } else if (line.rfind("echo_connection_duration_seconds_count ", 0) == 0) {
      count = std::stoull(line.substr(line.rfind(' ') + 1));
    } else if (line.rfind("echo_connection_duration_seconds_sum ", 0) == 0) {
      sum = line.substr(line.rfind(' ') + 1);
    }
  }
  // le = 0.001 0.01 0.1 1 10 60 300 3600 86400 +Inf
  REQUIRE(buckets == std::vector<std::uint64_t>{2, 4, 5, 6, 6, 7, 9, 10, 11, 13});
  REQUIRE(count == lasted.size());
  REQUIRE(buckets.back() == count);
  // Seconds, not microseconds: 0 + 0.001 + 0.001001 + 0.01 + 0.099 + 0.999 + 59 + 61 + 299 +
  // 3599 + 86400 + 86401 + 10000000.
  REQUIRE(std::stod(sum) == Approx(10176820.110001));
}

TEST_CASE("metrics_text: numbers read back as the same double", "[metrics_text]") {
  for (const double start : {0.0, 1.0, 0.1, 1700000000.123, 1763925672.5, 1e-9, 1e20}) {
    CAPTURE(start);
    const std::vector<std::string> lines = lines_of(echo::prometheus_text(echo::stats{}, start));
    const std::string& last = lines.back();
    REQUIRE(last.rfind("process_start_time_seconds ", 0) == 0);
    const std::string value = last.substr(last.rfind(' ') + 1);
    CHECK(std::stod(value) == start);
    CHECK(value.size() <= 25);
  }
}

TEST_CASE("metrics_text: every ending has its closed_total label and its closed-line word",
          "[stats]") {
  struct mapping {
    echo::ending ending;
    std::string label;
    std::string word;
  };
  // Every ending a session closes with; the words are those the closed log line has always shown.
  const std::vector<mapping> cases = {
      {echo::ending::eof, "eof", "eof"},
      {echo::ending::once, "eof", "once"},
      {echo::ending::reset, "reset", "reset by peer"},
      {echo::ending::peer_stopped_reading, "reset", "peer stopped reading"},
      {echo::ending::idle_timeout, "idle_timeout", "idle timeout"},
      {echo::ending::handshake_timeout, "idle_timeout", "handshake timeout"},
      {echo::ending::write_timeout, "write_timeout", "write timeout"},
      {echo::ending::shutdown, "shutdown", "shutdown"},
      {echo::ending::refused, "error", "refused"},
      {echo::ending::no_proxy_header, "error", "no PROXY header"},
      {echo::ending::bad_proxy_header, "error", "bad PROXY header"},
      {echo::ending::tls_handshake_failed, "error", "TLS handshake failed"},
      {echo::ending::line_too_long, "error", "line too long"},
      {echo::ending::error, "error", ""},
  };
  REQUIRE(cases.size() == static_cast<std::size_t>(echo::ending::error) + 1);
  for (const auto& c : cases) {
    CAPTURE(static_cast<int>(c.ending));
    CHECK(echo::ending_labels[echo::metric_label(c.ending)] == c.label);
    CHECK(echo::ending_word(c.ending) == c.word);
  }
}

TEST_CASE("stats: += sums refusals, endings, messages, TLS failures and the histogram", "[stats]") {
  echo::stats total = known_stats();
  echo::stats other;
  other.messages = 8;
  other.tls_handshake_failures = 5;
  other.count_refusal(echo::refusal::per_ip);
  other.count_ending(echo::ending::reset, milliseconds(5));
  other.count_ending(echo::ending::shutdown, seconds(2));
  other.has_udp = true;
  other.udp_datagrams_in = 3;
  other.udp_bytes_out = 8;
  other.count_udp_drop(echo::udp_drop::low_port);
  total += other;
  CHECK(total.has_udp);
  CHECK(total.udp_datagrams_in == 23);
  CHECK(total.udp_datagrams_out == 13);
  CHECK(total.udp_bytes_out == 840);
  CHECK(total.udp_dropped_by[static_cast<std::size_t>(echo::udp_drop::low_port)] == 2);
  CHECK(total.udp_dropped() == 8);
  CHECK(total.name_values().find(" udp_datagrams_in=23 udp_datagrams_out=13 udp_bytes_in=1280 "
                                 "udp_bytes_out=840 udp_dropped=8") != std::string::npos);
  CHECK(known_stats().name_values().find("udp") == std::string::npos);  // no --udp, no udp_*
  CHECK(total.messages == 50);
  CHECK(total.tls_handshake_failures == 7);
  CHECK(total.refused == 13);
  CHECK(total.refused_by[static_cast<std::size_t>(echo::refusal::max_connections)] == 1);
  CHECK(total.refused_by[static_cast<std::size_t>(echo::refusal::per_ip)] == 3);
  CHECK(total.refused_by[static_cast<std::size_t>(echo::refusal::fd_exhausted)] == 3);
  CHECK(total.refused_by[static_cast<std::size_t>(echo::refusal::max_handshakes)] == 4);
  const std::vector<std::uint64_t> closed = {2, 2, 1, 1, 2, 2};
  for (std::size_t i = 0; i < closed.size(); ++i) {
    CAPTURE(i);
    CHECK(total.closed_by[i] == closed[i]);
  }
  // Per bucket (not cumulative): le 0.001, 0.01 (+1), 0.1, 1, 10 (+1), ..., +Inf.
  const std::vector<std::uint64_t> buckets = {1, 1, 4, 2, 1, 0, 0, 0, 0, 1};
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    CAPTURE(i);
    CHECK(total.duration_buckets[i] == buckets[i]);
  }
  CHECK(total.duration_sum_us == 100002200500u + 2005000u);
  // Adding a fresh snapshot changes nothing.
  const std::string before = echo::prometheus_text(total, 0);
  total += echo::stats{};
  CHECK(echo::prometheus_text(total, 0) == before);
}
