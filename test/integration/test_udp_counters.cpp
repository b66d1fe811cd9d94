// What --udp counts: datagrams and bytes in and out, exact for a known exchange, in the metrics
// (echo_udp_*), the SIGUSR1 stats line (udp_datagrams_in= ... udp_dropped=) and the shutdown line
// ("N datagrams in, N datagrams out"); with --workers 2, datagrams from many sockets all answered
// and every figure summed over the workers.

#include "support/metrics_scrape.hpp"
#include "support/running_server.hpp"
#include "support/udp_client.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

// Three datagrams in prefix mode: 2 + 0 + 6 = 8 bytes in, 8 + 6 + 12 = 26 bytes out.
void known_exchange(const running_server& server) {
  udp_client client = udp_client::connect(server.host(), server.port());
  for (const std::string datagram : {"a\n", "", "hello\n"}) {
    client.send(datagram);
    CHECK(client.receive() == "Echo: " + datagram);
  }
}

// Sends SIGUSR1 until its stats line contains `text` (a reply can reach the client a moment before
// the server has counted it sent); true when one did.
bool signal_until_stats(running_server& server, const std::string& text) {
  const deadline d = deadline::after_default();
  for (std::size_t signals = 1;; ++signals) {
    server.proc().signal(SIGUSR1);
    if (!server.wait_for_log_count("stats: ", signals, d)) return false;
    if (server.log().find(text) != std::string::npos) return true;
  }
}

}  // namespace

TEST_CASE("udp: metrics count the datagrams and bytes of a known exchange exactly",
          "[integration][udp][metrics]") {
  running_server server({"--udp", "--reply", "prefix", "--metrics", "127.0.0.1:0"});
  const std::uint16_t metrics = metrics_port(server);
  known_exchange(server);
  const auto [page, ok] = wait_for_metric(metrics, "echo_udp_datagrams_sent_total", 3);
  INFO(page);
  CHECK(ok);
  CHECK(metric_value(page, "echo_udp_datagrams_received_total") == 3);
  CHECK(metric_value(page, "echo_udp_bytes_received_total") == 8);
  CHECK(metric_value(page, "echo_udp_bytes_sent_total") == 26);
  for (const char* reason : {"rate_limited", "low_port", "truncated", "send_buffer_full", "denied",
                             "error", "too_large"}) {
    CHECK(metric_value(page, "echo_udp_dropped_total{reason=\"" + std::string(reason) + "\"}") ==
          0);
  }
  // Datagrams are not connections: the TCP figures stay at zero.
  CHECK(metric_value(page, "echo_connections_accepted_total") == 0);
  CHECK(metric_value(page, "echo_bytes_received_total") == 0);
  CHECK(metric_value(page, "echo_bytes_sent_total") == 0);
}

TEST_CASE("udp: the stats line and the shutdown line count datagrams and bytes",
          "[integration][udp][stats]") {
  running_server server({"--udp", "--reply", "prefix"});
  known_exchange(server);
  CHECK(signal_until_stats(server,
                           " timed_out=0 udp_datagrams_in=3 udp_datagrams_out=3 "
                           "udp_bytes_in=8 udp_bytes_out=26 udp_dropped=0\n"));
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains("shut down: served 0 connections, 0 bytes in, 0 bytes "
                                           "out, 3 datagrams in, 3 datagrams out\n"));
}

TEST_CASE("udp: without --udp the stats and shutdown lines say nothing of datagrams",
          "[integration][udp][stats]") {
  running_server server;
  server.proc().signal(SIGUSR1);
  CHECK(server.wait_for_log(" timed_out=0\n"));
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), !Catch::Contains("udp") && !Catch::Contains("datagram"));
}

TEST_CASE("udp: --workers 2 answers datagrams from many sockets and sums the counters",
          "[integration][udp][workers]") {
  const bool is_udp_only = GENERATE(false, true);
  std::vector<std::string> args = {"--udp", "--workers", "2", "--metrics", "127.0.0.1:0"};
  if (is_udp_only) args.push_back("--no-tcp");
  running_server server(args);
  const std::string served = is_udp_only ? "UDP only" : "TCP and UDP";
  CHECK_THAT(server.log(), Catch::Contains(" (" + served + ", reply echo, 2 workers)\n"));
  const std::uint16_t metrics = metrics_port(server);
  // Sixteen source ports: SO_REUSEPORT spreads them over both workers' sockets by their hash.
  constexpr int sockets = 16;
  constexpr int per_socket = 20;
  std::vector<udp_client> clients;
  for (int s = 0; s < sockets; ++s) {
    clients.push_back(udp_client::connect(server.host(), server.port()));
  }
  // A round is one datagram from every socket, then their replies: a few in flight at a time, so
  // no receive buffer overflows on a loaded machine (the kernel would drop, uncounted).
  std::size_t bytes = 0;
  int answered = 0;
  for (int round = 0; round < per_socket; ++round) {
    const auto datagram = [round](int s) {
      return "socket " + std::to_string(s) + " datagram " + std::to_string(round);
    };
    for (int s = 0; s < sockets; ++s) {
      clients[static_cast<std::size_t>(s)].send(datagram(s));
      bytes += datagram(s).size();
    }
    for (int s = 0; s < sockets; ++s) {
      const auto reply = clients[static_cast<std::size_t>(s)].receive();
      INFO("round " << round << ", socket " << s);
      CHECK(reply == datagram(s));
      if (reply == datagram(s)) ++answered;
    }
  }
  constexpr int total = sockets * per_socket;
  REQUIRE(answered == total);
  const auto [page, ok] = wait_for_metric(metrics, "echo_udp_datagrams_sent_total", total);
  INFO(page);
  CHECK(ok);
  CHECK(metric_value(page, "echo_udp_datagrams_received_total") == total);
  CHECK(metric_value(page, "echo_udp_bytes_received_total") == static_cast<double>(bytes));
  CHECK(metric_value(page, "echo_udp_bytes_sent_total") == static_cast<double>(bytes));
  CHECK(signal_until_stats(server,
                           " udp_datagrams_in=" + std::to_string(total) + " udp_datagrams_out=" +
                               std::to_string(total) + " udp_bytes_in=" + std::to_string(bytes) +
                               " udp_bytes_out=" + std::to_string(bytes) + " udp_dropped=0\n"));
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains(", " + std::to_string(total) + " datagrams in, " +
                                           std::to_string(total) + " datagrams out (2 workers)\n"));
}
