// Which datagrams --udp answers: one from a source port below 1024 gets no reply (echo <-> chargen
// loops and reflection off well-known services start there) and is counted under low_port, unless
// --udp-allow-low-ports. The tests bind a low port, so they need root; elsewhere they are skipped.
//
// A reply that must not come is awaited only briefly, and only after a datagram from a normal port,
// sent later from another socket, has been answered: the server reads its socket in order, so by
// then it has already decided about the first one.

#include "support/metrics_scrape.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/udp_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>

using namespace echo::test;

namespace {

constexpr auto no_reply_window = std::chrono::milliseconds(300);

bool can_use(const std::string& host) {
  if (host == "::1" && !has_ipv6_loopback()) {
    WARN("skipped: this machine cannot bind ::1 (IPv6 disabled?)");
    return false;
  }
  return true;
}

}  // namespace

TEST_CASE("udp: a datagram from a source port below 1024 gets no reply and is counted",
          "[integration][udp][admission]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  if (!can_use(host)) return;
  running_server server({"--host", host, "--udp", "--metrics", "127.0.0.1:0"});
  const std::uint16_t metrics = metrics_port(server);
  std::optional<udp_client> low = udp_client_from_low_port(host, server.port());
  if (!low) {
    WARN("skipped: cannot bind a source port below 1024 (not root?)");
    return;
  }
  INFO("from source port " << low->local_port());
  low->send("from a low port\n");
  udp_client normal = udp_client::connect(host, server.port());
  normal.send("from a normal port\n");
  CHECK(normal.receive() == "from a normal port\n");
  CHECK_FALSE(low->receive(deadline::in(no_reply_window)));

  const auto [page, ok] = wait_for_metric(metrics, udp_dropped("low_port"), 1);
  INFO(page);
  CHECK(ok);
  CHECK(metric_value(page, "echo_udp_datagrams_received_total") == 2);
  CHECK(metric_value(page, "echo_udp_datagrams_sent_total") == 1);
  CHECK(metric_value(page, "echo_udp_bytes_received_total") == 16 + 19);
  CHECK(metric_value(page, "echo_udp_bytes_sent_total") == 19);
  for (const char* other :
       {"rate_limited", "truncated", "send_buffer_full", "denied", "error", "too_large"}) {
    CHECK(metric_value(page, udp_dropped(other)) == 0);
  }
}

TEST_CASE("udp: --udp-allow-low-ports answers a datagram from a source port below 1024",
          "[integration][udp][admission]") {
  running_server server({"--udp", "--udp-allow-low-ports", "--metrics", "127.0.0.1:0"});
  const std::uint16_t metrics = metrics_port(server);
  std::optional<udp_client> low = udp_client_from_low_port(server.host(), server.port());
  if (!low) {
    WARN("skipped: cannot bind a source port below 1024 (not root?)");
    return;
  }
  low->send("from a low port\n");
  CHECK(low->receive() == "from a low port\n");
  const auto [page, ok] = wait_for_metric(metrics, "echo_udp_datagrams_sent_total", 1);
  INFO(page);
  CHECK(ok);
  CHECK(metric_value(page, udp_dropped("low_port")) == 0);
}

TEST_CASE("udp: the stats line counts a datagram dropped for its low source port",
          "[integration][udp][admission][stats]") {
  running_server server({"--udp"});
  std::optional<udp_client> low = udp_client_from_low_port(server.host(), server.port());
  if (!low) {
    WARN("skipped: cannot bind a source port below 1024 (not root?)");
    return;
  }
  low->send("dropped\n");
  udp_client normal = udp_client::connect(server.host(), server.port());
  normal.send("answered\n");
  CHECK(normal.receive() == "answered\n");
  CHECK_FALSE(low->receive(deadline::in(no_reply_window)));
  server.proc().signal(SIGUSR1);
  CHECK(server.wait_for_log(
      "udp_datagrams_in=2 udp_datagrams_out=1 udp_bytes_in=17 udp_bytes_out=9 udp_dropped=1\n"));
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains(", 2 datagrams in, 1 datagram out (1 dropped)\n"));
}
