// The UDP rate limits on the real echo-server: --udp-rate-per-source drops part of one source's
// burst, counted rate_limited, and leaves another source alone; --udp-rate limits them all. Every
// loopback address 127.0.0.0/8 reaches a server on 127.0.0.1, so clients bound to 127.0.0.2 and
// 127.0.0.3 are two sources.

#include "support/metrics_scrape.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/udp_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

constexpr auto no_reply_window = std::chrono::milliseconds(300);

// A client from `source` to the server's port on 127.0.0.1: a server on :: (dual stack) sees it
// as ::ffff:127.0.0.2, which must count as the IPv4 source it is.
udp_client udp_from(const running_server& server, const std::string& source) {
  return udp_client::connect("127.0.0.1", server.port(), source);
}

// Sends `count` datagrams from `client` at once and waits until the server has answered or
// dropped each; then reads the replies. Returns how many came back, CHECKing that they are as
// many as the server counted sent.
int burst(udp_client& client, int count, std::uint16_t metrics) {
  for (int i = 0; i < count; ++i) client.send("burst " + std::to_string(i) + "\n");
  const auto [page, ok] = wait_for_page(metrics, [count](const std::string& p) {
    return metric_value(p, "echo_udp_datagrams_sent_total").value_or(0) +
               metric_value(p, udp_dropped("rate_limited")).value_or(0) ==
           count;
  });
  INFO(page);
  REQUIRE(ok);
  const double sent = metric_value(page, "echo_udp_datagrams_sent_total").value_or(-1);
  int replies = 0;
  // Each reply counted sent is in our receive buffer already (loopback delivers at once).
  while (replies < sent && client.receive()) ++replies;
  CHECK(replies == sent);
  CHECK_FALSE(client.receive(deadline::in(no_reply_window)));
  return replies;
}

}  // namespace

TEST_CASE("udp rate: --udp-rate-per-source drops part of one source's burst, not another's",
          "[integration][udp][rate]") {
  // On ::, IPv4 sources arrive IPv4-mapped, all in ::ffff:0:0/96: were they keyed as IPv6 (by
  // /64), they would share one budget.
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::");
  if (host == "::" && !has_ipv6_loopback()) {
    WARN("skipped: this machine has no IPv6 (a dual-stack socket needs it)");
    return;
  }
  udp_server_with_metrics s({"--host", host, "--udp-rate-per-source", "5"});
  udp_client flooder = udp_from(s.server, "127.0.0.2");
  constexpr int count = 60;
  const int answered = burst(flooder, count, s.metrics);
  CHECK(answered > 0);
  CHECK(answered < count);
  const auto [page, ok] = wait_for_metric(s.metrics, udp_dropped("rate_limited"), count - answered);
  INFO(page);
  CHECK(ok);
  // Another source has its own budget.
  udp_client other = udp_from(s.server, "127.0.0.3");
  for (int i = 0; i < 3; ++i) {
    other.send("other " + std::to_string(i) + "\n");
    CHECK(other.receive() == "other " + std::to_string(i) + "\n");
  }
  const auto after = scrape_metrics(s.metrics);
  REQUIRE(after);
  CHECK(metric_value(*after, udp_dropped("rate_limited")) == count - answered);
}

TEST_CASE("udp rate: --udp-rate drops part of a burst, whatever its source",
          "[integration][udp][rate]") {
  udp_server_with_metrics s({"--udp-rate", "5"});
  udp_client client = udp_from(s.server, "127.0.0.2");
  constexpr int count = 60;
  const int answered = burst(client, count, s.metrics);
  CHECK(answered > 0);
  CHECK(answered < count);
  const auto [page, ok] = wait_for_metric(s.metrics, udp_dropped("rate_limited"), count - answered);
  INFO(page);
  CHECK(ok);
  CHECK(metric_value(page, "echo_udp_datagrams_sent_total") == answered);
}
