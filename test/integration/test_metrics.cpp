// --metrics HOST:PORT: Prometheus's /metrics over HTTP. promtool accepts the page; the counters
// follow real echo traffic, refusals, timeouts and TLS failures, summed over --workers; the HTTP
// side answers 404/405/HEAD/keep-alive properly and its limits (8 KiB, 10 s, 16 connections) keep
// a hostile scraper from stalling the echo traffic, while a new scrape evicts the connection idle
// longest, so 16 busy ones cannot lock it out; and a real Prometheus server scrapes it.

#include "support/admin_http.hpp"
#include "support/conversation.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/scratch.hpp"
#include "support/tcp_client.hpp"
#include "support/tls_files.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace echo::test;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// An echo-server with --metrics on a free loopback port, and that port.
struct metrics_server {
  explicit metrics_server(std::vector<std::string> args = {})
      : server(with_metrics(std::move(args))) {
    const auto match = server.wait_for_log(std::regex("metrics on 127\\.0\\.0\\.1:([0-9]+)\n"));
    if (!match) throw std::runtime_error("no 'metrics on' line in:\n" + server.log());
    metrics_port = static_cast<std::uint16_t>(std::stoi((*match)[1]));
  }
  static std::vector<std::string> with_metrics(std::vector<std::string> args) {
    args.insert(args.end(), {"--metrics", "127.0.0.1:0"});
    return args;
  }

  running_server server;
  std::uint16_t metrics_port = 0;
};

// The page; throws unless the answer is 200.
std::string scrape(std::uint16_t port) {
  const http_response r = http_request(port, "GET", "/metrics");
  if (r.status != 200) throw std::runtime_error("scrape answered " + std::to_string(r.status));
  return r.body;
}

// The page, or nullopt when the endpoint closed the connection without one (all 16 busy).
std::optional<std::string> try_scrape(std::uint16_t port) {
  const http_response r = http_request(port, "GET", "/metrics");
  if (r.status != 200) return std::nullopt;
  return r.body;
}

// HEAD /metrics on a kept-alive connection: true when a 200 came back (a header, no body), false
// when the endpoint had closed the connection.
bool head_metrics(tcp_client& c) {
  try {
    c.send_all("HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  } catch (const std::runtime_error&) {
    return false;  // reset: it was closed a while ago
  }
  return parse_response(c.read_until("\r\n\r\n").data).status == 200;
}

// The value of a sample ("echo_bytes_sent_total", `echo_x{reason="eof"}`) on a page.
std::optional<double> value_of(const std::string& page, const std::string& sample) {
  const std::string key = "\n" + sample + " ";
  const auto at = ("\n" + page).find(key);
  if (at == std::string::npos) return std::nullopt;
  return std::stod(page.substr(at + key.size() - 1));
}

double value(const std::string& page, const std::string& sample) {
  const auto v = value_of(page, sample);
  if (!v) throw std::runtime_error("no sample " + sample + " in:\n" + page);
  return *v;
}

std::string closed(const std::string& reason) {
  return "echo_connections_closed_total{reason=\"" + reason + "\"}";
}
std::string refused(const std::string& reason) {
  return "echo_connections_refused_total{reason=\"" + reason + "\"}";
}

double closed_total(const std::string& page) {
  double sum = 0;
  for (const char* r : {"eof", "reset", "idle_timeout", "write_timeout", "error", "shutdown"}) {
    sum += value(page, closed(r));
  }
  return sum;
}

// Scrapes until `is_done(page)` holds; returns the last page, and whether it held.
std::pair<std::string, bool> scrape_until(std::uint16_t port,
                                          const std::function<bool(const std::string&)>& is_done,
                                          deadline d = deadline::after_default()) {
  std::string page;
  while (true) {
    const auto answer = try_scrape(port);
    if (answer) page = *answer;
    if (answer && is_done(page)) return {page, true};
    if (d.is_expired()) return {page, false};
    // A condition wait: the counters move as the server's handlers run, not on a schedule.
    std::this_thread::sleep_for(milliseconds(20));
  }
}

// Scrapes until `sample` has `expected`; REQUIREs it and returns the page.
std::string wait_for_value(std::uint16_t port, const std::string& sample, double expected,
                           deadline d = deadline::after_default()) {
  auto [page, ok] = scrape_until(
      port, [&](const std::string& p) { return value_of(p, sample) == expected; }, d);
  INFO("waiting for " << sample << " == " << expected << "; last page:\n" << page);
  REQUIRE(ok);
  return page;
}

// Echoes `payload` on a new connection to the echo port, half-closes and reads to EOF; returns
// what came back.
std::string echo_once(running_server& server, const std::string& payload) {
  tcp_client c = tcp_client::connect(server.host(), server.port());
  c.send_all(payload);
  c.shutdown_send();
  const read_result r = c.read_until_eof();
  CHECK(r.is_eof);
  return r.data;
}

}  // namespace

TEST_CASE("metrics: 'metrics on' names the real port, and promtool accepts the page",
          "[integration][metrics]") {
  metrics_server m({"--reply", "prefix"});
  CHECK(m.metrics_port != 0);
  CHECK(m.metrics_port != m.server.port());
  CHECK(echo_once(m.server, "one\ntwo\n") == "Echo: one\nEcho: two\n");
  const std::string page = wait_for_value(m.metrics_port, closed("eof"), 1);
  const run_result check = run_to_exit({"promtool", "check", "metrics"}, page);
  INFO("page:\n" << page << "\npromtool stdout:\n" << check.out << "\nstderr:\n" << check.err);
  CHECK(check.exit_code == 0);
  // It lints, too: a page promtool has complaints about fails the check above.
  CHECK(check.out.find("problem") == std::string::npos);
}

TEST_CASE("metrics: bytes, connections, messages, endings and durations follow echo traffic",
          "[integration][metrics]") {
  metrics_server m({"--reply", "prefix"});
  const std::uint16_t port = m.metrics_port;
  {
    const std::string page = scrape(port);
    CHECK(value(page, "echo_connections_accepted_total") == 0);
    CHECK(value(page, "echo_bytes_received_total") == 0);
    CHECK(value(page, "process_start_time_seconds") > 1.5e9);
  }

  // One connection held open shows as active.
  tcp_client held = tcp_client::connect(m.server.host(), m.server.port());
  held.send_all("held\n");
  CHECK(held.read(11).data == "Echo: held\n");
  wait_for_value(port, "echo_connections_active", 1);

  std::uint64_t sent = 5;
  std::uint64_t received = 11;
  constexpr int clients = 3;
  for (int i = 0; i < clients; ++i) {
    const std::string payload =
        "line " + std::to_string(i) + "\nsecond " + std::to_string(i) + "\n";
    const std::string reply = echo_once(m.server, payload);
    CHECK(reply ==
          "Echo: line " + std::to_string(i) + "\nEcho: second " + std::to_string(i) + "\n");
    sent += payload.size();
    received += reply.size();
  }
  held.shutdown_send();
  CHECK(held.read_until_eof().is_eof);

  const std::string page = wait_for_value(port, closed("eof"), clients + 1);
  CHECK(value(page, "echo_connections_accepted_total") == clients + 1);
  CHECK(value(page, "echo_connections_active") == 0);
  CHECK(value(page, "echo_bytes_received_total") == sent);
  CHECK(value(page, "echo_bytes_sent_total") == received);
  CHECK(value(page, "echo_messages_total") == 2 * clients + 1);
  CHECK(closed_total(page) == clients + 1);
  CHECK(value(page, "echo_connection_duration_seconds_count") == clients + 1);
  CHECK(value(page, "echo_connection_duration_seconds_bucket{le=\"+Inf\"}") == clients + 1);
  CHECK(value(page, "echo_connection_duration_seconds_sum") > 0);
  CHECK(value(page, refused("max_connections")) == 0);
  CHECK(value(page, "echo_tls_handshake_failures_total") == 0);
  REQUIRE(m.server.stop() == 0);
}

TEST_CASE("metrics: plain echo counts no messages", "[integration][metrics]") {
  metrics_server m;
  CHECK(echo_once(m.server, "a\nb\nc\n") == "a\nb\nc\n");
  const std::string page = wait_for_value(m.metrics_port, closed("eof"), 1);
  CHECK(value(page, "echo_messages_total") == 0);
  CHECK(value(page, "echo_bytes_received_total") == 6);
  CHECK(value(page, "echo_bytes_sent_total") == 6);
}

TEST_CASE("metrics: refusals past --max-connections and --max-connections-per-ip by reason",
          "[integration][metrics]") {
  SECTION("max_connections") {
    metrics_server m({"--max-connections", "1"});
    tcp_client first = tcp_client::connect(m.server.host(), m.server.port());
    wait_for_value(m.metrics_port, "echo_connections_active", 1);
    for (int i = 0; i < 2; ++i) {
      tcp_client extra = tcp_client::connect(m.server.host(), m.server.port());
      CHECK(extra.read_until_eof().is_eof);
    }
    const std::string page = wait_for_value(m.metrics_port, refused("max_connections"), 2);
    CHECK(value(page, refused("per_ip")) == 0);
    CHECK(value(page, refused("fd_exhausted")) == 0);
    CHECK(value(page, "echo_connections_accepted_total") == 1);
  }
  SECTION("per_ip") {
    metrics_server m({"--max-connections-per-ip", "1"});
    tcp_client first = tcp_client::connect(m.server.host(), m.server.port());
    wait_for_value(m.metrics_port, "echo_connections_active", 1);
    tcp_client extra = tcp_client::connect(m.server.host(), m.server.port());
    CHECK(extra.read_until_eof().is_eof);
    const std::string page = wait_for_value(m.metrics_port, refused("per_ip"), 1);
    CHECK(value(page, refused("max_connections")) == 0);
    // Another address has a budget of its own.
    tcp_client other = tcp_client::connect_from("127.0.0.2", m.server.host(), m.server.port());
    other.send_all("from elsewhere\n");
    CHECK(other.read(15).data == "from elsewhere\n");
    const std::string after = wait_for_value(m.metrics_port, "echo_connections_active", 2);
    CHECK(value(after, refused("per_ip")) == 1);
  }
}

TEST_CASE("metrics: --idle-timeout shows as closed with reason idle_timeout",
          "[integration][metrics]") {
  metrics_server m({"--idle-timeout", "1"});
  tcp_client quiet = tcp_client::connect(m.server.host(), m.server.port());
  const read_result r = quiet.read_until_eof(deadline::in(seconds(10)));
  CHECK(r.is_eof);
  const std::string page = wait_for_value(m.metrics_port, closed("idle_timeout"), 1);
  CHECK(closed_total(page) == 1);
  CHECK(value(page, "echo_connection_duration_seconds_count") == 1);
  // It lasted about a second or two: not in the buckets up to 0.1 s, in the one up to 10 s.
  CHECK(value(page, "echo_connection_duration_seconds_bucket{le=\"0.1\"}") == 0);
  CHECK(value(page, "echo_connection_duration_seconds_bucket{le=\"10\"}") == 1);
  CHECK(value(page, "echo_connection_duration_seconds_sum") >= 1);
}

TEST_CASE("metrics: a client's reset shows as closed with reason reset", "[integration][metrics]") {
  metrics_server m;
  tcp_client c = tcp_client::connect(m.server.host(), m.server.port());
  c.send_all("bye\n");
  CHECK(c.read(4).data == "bye\n");
  c.reset();
  const std::string page = wait_for_value(m.metrics_port, closed("reset"), 1);
  CHECK(closed_total(page) == 1);
}

TEST_CASE("metrics: --handshake-timeout also counts as idle_timeout", "[integration][metrics]") {
  metrics_server m({"--proxy-protocol", "--handshake-timeout", "1"});
  tcp_client quiet = tcp_client::connect(m.server.host(), m.server.port());
  quiet.send_all("PROXY TCP4 ");  // a header begun, never finished
  CHECK(quiet.read_until_eof(deadline::in(seconds(10))).is_eof);
  const std::string page = wait_for_value(m.metrics_port, closed("idle_timeout"), 1);
  CHECK(value(page, closed("error")) == 0);
}

TEST_CASE("metrics: a plaintext client on the TLS port counts as a TLS handshake failure",
          "[integration][metrics]") {
  const tls_files& files = tls_files::get();
  metrics_server m({"--tls-cert", files.path("server.pem"), "--tls-key", files.path("server.key")});
  tcp_client plain = tcp_client::connect(m.server.host(), m.server.port());
  plain.send_all("hello, no TLS here\r\n\r\n");
  const read_result r = plain.read_until_eof();
  CHECK_FALSE(r.is_timed_out);
  const std::string page = wait_for_value(m.metrics_port, "echo_tls_handshake_failures_total", 1);
  CHECK(value(page, closed("error")) == 1);
  CHECK(value(page, "echo_connection_duration_seconds_count") == 1);
}

TEST_CASE("metrics: with --workers 2 the page sums both workers' counters",
          "[integration][metrics]") {
  metrics_server m({"--workers", "2", "--reply", "prefix"});
  // The kernel spreads connections over the two SO_REUSEPORT sockets by a hash of their
  // addresses: with 40 clients, the chance that one worker gets them all is 2^-39, so totals
  // equal to what the clients sent prove that the page adds up both.
  constexpr std::size_t client_count = 40;
  std::vector<std::unique_ptr<conversation>> clients;
  std::vector<conversation*> talks;
  std::uint64_t sent = 0;
  for (std::size_t i = 0; i < client_count; ++i) {
    clients.push_back(
        std::make_unique<conversation>(tcp_client::connect(m.server.host(), m.server.port())));
    const std::string line = "client " + std::to_string(i) + " " + std::string(i, 'x') + "\n";
    clients.back()->send(line);
    clients.back()->half_close_when_sent();
    sent += line.size();
    talks.push_back(clients.back().get());
  }
  CHECK(drive(talks, deadline::after_default(), [&] {
    return std::all_of(clients.begin(), clients.end(),
                       [](const auto& c) { return c->is_finished(); });
  }));
  std::uint64_t received = 0;
  for (const auto& c : clients) received += c->received().size();
  CHECK(received == sent + 6 * client_count);

  const std::string page = wait_for_value(m.metrics_port, closed("eof"), client_count);
  CHECK(value(page, "echo_connections_accepted_total") == client_count);
  CHECK(value(page, "echo_bytes_received_total") == sent);
  CHECK(value(page, "echo_bytes_sent_total") == received);
  CHECK(value(page, "echo_messages_total") == client_count);
  CHECK(value(page, "echo_connection_duration_seconds_count") == client_count);
  // One metrics endpoint for all: only worker 0 serves it.
  CHECK(count_occurrences(m.server.log(), "metrics on ") == 1);
  REQUIRE(m.server.stop() == 0);
}

TEST_CASE("metrics: 404 elsewhere, 405 with Allow for POST, HEAD without a body",
          "[integration][metrics]") {
  metrics_server m;
  const std::uint16_t port = m.metrics_port;

  const http_response get = http_request(port, "GET", "/metrics");
  CHECK(get.status == 200);
  CHECK(get.header("content-type") == std::optional<std::string>("text/plain; version=0.0.4; "
                                                                 "charset=utf-8"));
  CHECK(get.header("content-length") == std::to_string(get.body.size()));
  CHECK(get.body.find("# TYPE echo_bytes_received_total counter\n") != std::string::npos);

  // A query string is not part of the path (Prometheus's `params` adds one).
  CHECK(http_request(port, "GET", "/metrics?x=1").status == 200);

  for (const char* target : {"/", "/metrics/", "/metricsx", "/other?/metrics", "/other"}) {
    CAPTURE(target);
    const http_response r = http_request(port, "GET", target);
    CHECK(r.status == 404);
    CHECK(r.body.find("echo_") == std::string::npos);
  }

  for (const char* method : {"POST", "PUT", "DELETE"}) {
    CAPTURE(method);
    const http_response r = http_request(port, method, "/metrics");
    CHECK(r.status == 405);
    CHECK(r.header("allow") == std::optional<std::string>("get, head"));
  }

  // A request with a (small) body is answered too, not dropped.
  for (const char* target : {"/metrics", "/other"}) {
    CAPTURE(target);
    tcp_client c = tcp_client::connect("127.0.0.1", port);
    c.send_all("POST " + std::string(target) +
               " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
               "hello");
    const http_response r = parse_response(c.read_until_eof().data);
    CHECK(r.status == (target == std::string("/metrics") ? 405 : 404));
  }

  const http_response head = http_request(port, "HEAD", "/metrics");
  CHECK(head.is_complete);
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  REQUIRE(head.header("content-length"));
  CHECK(std::stoul(*head.header("content-length")) > 100);
}

TEST_CASE("metrics: keep-alive serves two requests on one connection", "[integration][metrics]") {
  metrics_server m;
  tcp_client c = tcp_client::connect("127.0.0.1", m.metrics_port);
  c.send_all("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  read_result first = c.read_until("\r\n\r\n");
  http_response r = parse_response(first.data);
  REQUIRE(r.status == 200);
  REQUIRE(r.header("content-length"));
  const std::size_t length = std::stoul(*r.header("content-length"));
  const std::size_t header_size = first.data.find("\r\n\r\n") + 4;
  if (first.data.size() < header_size + length) {
    first.data += c.read(header_size + length - first.data.size()).data;
  }
  CHECK(first.data.size() == header_size + length);
  CHECK_FALSE(first.is_eof);

  c.send_all(
      "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /metrics HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const read_result rest = c.read_until_eof();
  CHECK(rest.is_eof);
  CHECK(rest.data.rfind("HTTP/1.1 404 ", 0) == 0);
  const auto second = rest.data.find("HTTP/1.1 200 ");
  REQUIRE(second != std::string::npos);
  CHECK(parse_response(rest.data.substr(second)).body.find("echo_bytes_sent_total") !=
        std::string::npos);
}

TEST_CASE("metrics: a header over 8 KiB is closed without an answer, a body gets 413",
          "[integration][metrics]") {
  metrics_server m;
  tcp_client c = tcp_client::connect("127.0.0.1", m.metrics_port);
  c.send_all("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(9000, 'p') +
             "\r\n\r\n");
  const read_result r = c.read_until_eof();
  CHECK(r.data.empty());
  CHECK((r.is_eof || r.error != 0));
  CHECK_FALSE(r.is_timed_out);
  // A body over 8 KiB, from its Content-Length on, gets 413, then the connection closes.
  tcp_client body = tcp_client::connect("127.0.0.1", m.metrics_port);
  body.send_all("POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9000\r\n\r\n");
  const read_result b = body.read_until_eof();
  CHECK(parse_response(b.data).status == 413);
  CHECK(b.is_eof);
  // A request just under the cap is answered.
  tcp_client ok = tcp_client::connect("127.0.0.1", m.metrics_port);
  ok.send_all("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Padding: " +
              std::string(7000, 'p') + "\r\n\r\n");
  CHECK(parse_response(ok.read_until_eof().data).status == 200);
}

TEST_CASE("metrics: a scrape connection that sends nothing is closed after 10 s",
          "[integration][metrics]") {
  metrics_server m;
  const auto start = clock::now();
  tcp_client silent = tcp_client::connect("127.0.0.1", m.metrics_port);
  const read_result r = silent.read_until_eof(deadline::in(seconds(15)));
  const double after = std::chrono::duration<double>(clock::now() - start).count();
  CHECK_FALSE(r.is_timed_out);
  CHECK(r.data.empty());
  CHECK(after >= 9.5);
  // The endpoint still answers others.
  CHECK(value(scrape(m.metrics_port), "echo_connections_accepted_total") == 0);
}

TEST_CASE("metrics: 16 hanging scrape connections do not stall echo, and a 17th evicts the oldest",
          "[integration][metrics]") {
  metrics_server m;
  std::vector<tcp_client> idle;
  for (int i = 0; i < 16; ++i) {
    idle.push_back(tcp_client::connect("127.0.0.1", m.metrics_port));
    idle.back().send_all("GET /metr");  // half a request line, then nothing
  }

  // Echo goes on, many times over, while they hang.
  tcp_client echo_client = tcp_client::connect(m.server.host(), m.server.port());
  for (int i = 0; i < 50; ++i) {
    const std::string line = "still echoing " + std::to_string(i) + "\n";
    echo_client.send_all(line);
    const read_result back = echo_client.read(line.size(), deadline::in(seconds(2)));
    REQUIRE(back.data == line);
  }

  // A 17th connection gets its page at once (not 10 s later, when a hanging one times out), and
  // the one that made no progress for longest, the first (one acceptor, in order), made room.
  const http_response r =
      http_request(m.metrics_port, "GET", "/metrics", {}, deadline::in(seconds(5)));
  CHECK(r.status == 200);
  CHECK(value(r.body, "echo_connections_active") == 1);
  const read_result evicted = idle.front().read_until_eof(deadline::in(seconds(5)));
  CHECK(evicted.data.empty());
  CHECK_FALSE(evicted.is_timed_out);
}

TEST_CASE("metrics: 16 keep-alive clients polling HEAD /metrics cannot lock a scraper out",
          "[integration][metrics]") {
  metrics_server m;
  // 16 clients take every slot and keep it busy with a request now and then (every 4.5 s in the
  // probe that found this: the 10 s limit is per request, so they never time out).
  std::vector<tcp_client> holders;
  for (int i = 0; i < 16; ++i) {
    holders.push_back(tcp_client::connect("127.0.0.1", m.metrics_port));
    REQUIRE(head_metrics(holders.back()));
  }
  constexpr int rounds = 5;
  int reconnected = 0;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    // Each holder polls again; one that was evicted comes straight back, as a hostile one would.
    for (tcp_client& holder : holders) {
      if (head_metrics(holder)) continue;
      holder = tcp_client::connect("127.0.0.1", m.metrics_port);
      REQUIRE(head_metrics(holder));
      ++reconnected;
    }
    // Then a scraper's new connection gets its page, promptly, every time.
    const http_response r =
        http_request(m.metrics_port, "GET", "/metrics", {}, deadline::in(seconds(5)));
    CHECK(r.status == 200);
  }
  // Each scrape evicted one holder, not more: the others kept their connections.
  CHECK(reconnected <= rounds);
}

TEST_CASE("metrics: SIGTERM stops the server promptly with scrape connections open",
          "[integration][metrics]") {
  metrics_server m;
  tcp_client silent = tcp_client::connect("127.0.0.1", m.metrics_port);
  tcp_client kept = tcp_client::connect("127.0.0.1", m.metrics_port);
  kept.send_all("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  CHECK(kept.read_until("echo_connections_active").data.find("200 OK") != std::string::npos);
  // Well before the 10 s request timeout would end them.
  const auto start = clock::now();
  CHECK(m.server.stop(SIGTERM, deadline::in(seconds(5))) == 0);
  CHECK(clock::now() - start < seconds(5));
  CHECK(silent.read_until_eof(deadline::in(seconds(1))).is_eof);
}

TEST_CASE("metrics: --metrics on an address in use fails with one line", "[integration][metrics]") {
  metrics_server first;
  const std::string address = "127.0.0.1:" + std::to_string(first.metrics_port);
  const run_result r = run_to_exit({echo_server_path(), "--port", "0", "--metrics", address}, {},
                                   deadline::in(seconds(5)));
  CHECK(r.exit_code != 0);
  CHECK(r.exit_code.has_value());
  CHECK_THAT(r.err, Catch::Contains("--metrics: ") && Catch::Contains(address));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("metrics: a real Prometheus server scrapes the counters", "[integration][metrics]") {
  metrics_server m;
  temp_dir dir("metrics");
  const std::string config = (dir.path() / "prometheus.yml").string();
  {
    std::ofstream out(config);
    out << "global:\n"
           "  scrape_interval: 1s\n"
           "  scrape_timeout: 1s\n"
           "scrape_configs:\n"
           "  - job_name: echo\n"
           "    static_configs:\n"
           "      - targets: ['127.0.0.1:"
        << m.metrics_port << "']\n";
  }

  // A free port for its web side, again if another program takes it first.
  std::unique_ptr<process> prometheus;
  std::uint16_t web_port = 0;
  for (int attempt = 0; attempt < 5 && !prometheus; ++attempt) {
    web_port = free_port();
    auto p = std::make_unique<process>(
        std::vector<std::string>{"prometheus", "--config.file=" + config,
                                 "--storage.tsdb.path=" + (dir.path() / "data").string(),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(web_port)});
    const bool ready = p->wait_for_stderr(
        [](const std::string& log) {
          return log.find("Server is ready to receive web requests.") != std::string::npos ||
                 log.find("address already in use") != std::string::npos;
        },
        deadline::in(seconds(30)));
    INFO("prometheus log:\n" << p->stderr_text());
    REQUIRE(ready);
    if (p->stderr_text().find("Server is ready") != std::string::npos) prometheus = std::move(p);
  }
  REQUIRE(prometheus);

  std::uint64_t sent = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string payload = "to prometheus " + std::to_string(i) + "\n";
    CHECK(echo_once(m.server, payload) == payload);
    sent += payload.size();
  }

  // Asks Prometheus (not us) until its latest scrape has every byte.
  const auto query = [&](const std::string& expression) -> std::optional<std::string> {
    const http_response r = http_request(web_port, "GET", "/api/v1/query?query=" + expression);
    static const std::regex value_pattern("\"value\":\\[[0-9.e+]+,\"([^\"]*)\"\\]");
    std::smatch match;
    if (r.status != 200 || !std::regex_search(r.body, match, value_pattern)) return std::nullopt;
    return match[1].str();
  };
  const deadline d = deadline::in(seconds(30));
  std::optional<std::string> bytes;
  while (!d.is_expired()) {
    bytes = query("echo_bytes_received_total");
    if (bytes == std::to_string(sent)) break;
    std::this_thread::sleep_for(milliseconds(100));  // condition wait: Prometheus scrapes each 1 s
  }
  INFO("prometheus log:\n" << prometheus->stderr_text());
  CHECK(bytes == std::to_string(sent));
  // The last session may have ended just after the scrape that saw its bytes: wait for it too.
  std::optional<std::string> eof;
  while (!d.is_expired()) {
    eof = query("echo_connections_closed_total%7Breason%3D%22eof%22%7D");
    if (eof == std::string("5")) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  CHECK(eof == std::string("5"));
  CHECK(query("up%7Bjob%3D%22echo%22%7D") == std::string("1"));

  prometheus->signal(SIGTERM);
  CHECK(prometheus->wait_exit(deadline::in(seconds(10))) == 0);
}
