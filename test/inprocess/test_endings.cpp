// Every ending a session can reach in-process is counted under its label of
// echo_connections_closed_total (stats::closed_by, which the metrics page prints): the label is
// named here literally, so a session that ends with the wrong ending, or a label table that drifts,
// fails.

#include "test/inprocess/harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <list>
#include <numeric>
#include <string>
#include <string_view>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using echo::ending;
using echo::test::client;
using echo::test::harness;

std::size_t label_index(std::string_view label) {
  const auto at = std::find(echo::ending_labels.begin(), echo::ending_labels.end(), label);
  REQUIRE(at != echo::ending_labels.end());
  return static_cast<std::size_t>(at - echo::ending_labels.begin());
}

// Runs `scenario`, waits until `endings.size()` more connections have ended, and checks that each
// was counted under `label` and nothing else was counted.
void expect_endings(harness& h, std::initializer_list<ending> endings, std::string_view label,
                    const std::function<void()>& scenario,
                    std::chrono::milliseconds limit = 2000ms) {
  const std::size_t index = label_index(label);
  for (const ending why : endings) {
    INFO("ending " << static_cast<int>(why) << " (" << echo::ending_word(why) << ")");
    CHECK(echo::metric_label(why) == index);
  }
  const auto before = echo::test::closed_by(h.counters());
  const auto total = [&] {
    const auto now = echo::test::closed_by(h.counters());
    return std::accumulate(now.begin(), now.end(), std::uint64_t{0}) -
           std::accumulate(before.begin(), before.end(), std::uint64_t{0});
  };
  scenario();
  INFO("label " << label);
  REQUIRE(h.run_until([&] { return total() >= endings.size(); }, limit));
  const auto after = echo::test::closed_by(h.counters());
  for (std::size_t i = 0; i < after.size(); ++i) {
    INFO("closed_by[" << echo::ending_labels[i] << "]");
    CHECK(after[i] - before[i] == (i == index ? endings.size() : 0));
  }
}

std::string proxy_v1(const std::string& source) {
  return "PROXY TCP4 " + source + " 192.0.2.100 40000 8888\r\n";
}

}  // namespace

TEST_CASE("endings: plain connections reach their labels", "[inprocess][endings]") {
  echo::server_options options = echo::test::local_options();
  options.reply.mode = echo::reply_mode::prefix;  // holds lines to --max-line
  options.reply.max_line = 16;
  options.idle_timeout = std::chrono::seconds(1);
  harness h(options);
  REQUIRE_FALSE(h.open());
  std::list<client> clients;

  expect_endings(h, {ending::eof}, "eof", [&] {
    client& c = clients.emplace_back(h);
    c.send("bye\n");
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
  });
  expect_endings(h, {ending::reset}, "reset", [&] {
    client& c = clients.emplace_back(h);
    c.start_reading();
    c.send("hi\n");
    REQUIRE(h.run_until([&] { return c.received == "Echo: hi\n"; }));
    c.reset();
  });
  expect_endings(h, {ending::line_too_long}, "error", [&] {
    client& c = clients.emplace_back(h);
    c.send(std::string(32, 'x') + "\n");
    // Done sending: the server's lingering close ends at this EOF (a client that stays would be
    // closed by --idle-timeout, under idle_timeout).
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
  });
  const std::uint64_t timed_out = h.counters().timed_out;
  expect_endings(
      h, {ending::idle_timeout}, "idle_timeout", [&] { clients.emplace_back(h); }, 4000ms);
  CHECK(h.counters().timed_out == timed_out + 1);
  expect_endings(h, {ending::shutdown}, "shutdown", [&] {
    client& c = clients.emplace_back(h);
    c.start_reading();
    c.send("hi\n");
    REQUIRE(h.run_until([&] { return c.received == "Echo: hi\n"; }));
    h.get().stop();
  });
}

TEST_CASE("endings: --once is counted as eof", "[inprocess][endings]") {
  echo::server_options options = echo::test::local_options();
  options.reply.once = true;
  harness h(options);
  REQUIRE_FALSE(h.open());
  std::list<client> clients;

  expect_endings(h, {ending::once}, "eof", [&] {
    client& c = clients.emplace_back(h);
    c.send("once\n");
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
  });
}

TEST_CASE("endings: PROXY header endings reach their labels", "[inprocess][endings]") {
  echo::server_options options = echo::test::local_options();
  options.proxy_protocol = true;
  options.max_connections_per_ip = 1;
  options.handshake_timeout = std::chrono::seconds(1);
  harness h(options);
  REQUIRE_FALSE(h.open());
  std::list<client> clients;

  expect_endings(h, {ending::no_proxy_header}, "error", [&] {
    client& c = clients.emplace_back(h);
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
  });
  expect_endings(h, {ending::bad_proxy_header}, "error", [&] {
    client& c = clients.emplace_back(h);
    c.send("GET / HTTP/1.0\r\n\r\n");
  });
  expect_endings(h, {ending::refused}, "error", [&] {
    client& first = clients.emplace_back(h);
    first.start_reading();
    first.send(proxy_v1("192.0.2.7") + "hi\n");
    REQUIRE(h.run_until([&] { return first.received == "hi\n"; }));
    clients.emplace_back(h).send(proxy_v1("192.0.2.7"));
  });
  const std::uint64_t timed_out = h.counters().timed_out;
  expect_endings(
      h, {ending::handshake_timeout}, "idle_timeout", [&] { clients.emplace_back(h); }, 4000ms);
  CHECK(h.counters().timed_out == timed_out + 1);
}
