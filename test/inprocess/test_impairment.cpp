// The TCP impairment stage inside a session (server/impaired_stream): how it meets the session's
// other paths (a half-close, --once, a graceful stop, a reset, backpressure, a change at run time)
// and that each thing it does is counted. Timing is measured by the client, which did not set it;
// the integration tests (test_impairment_tcp) measure the same from python and echo-client.

#include "test/inprocess/harness.hpp"
#include "test/inprocess/log_capture.hpp"

#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;
using echo::test::client;
using echo::test::harness;
using echo::test::log_capture;
using event = echo::impairment::event;

std::uint64_t events(const harness& h, event what) {
  return h.counters().impairment_events[static_cast<std::size_t>(what)];
}

std::string pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

std::chrono::milliseconds since(echo::test::clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(echo::test::clock::now() - start);
}

}  // namespace

TEST_CASE("impairment: a half-closed client gets every held reply, then EOF",
          "[inprocess][impairment]") {
  echo::server_options options = echo::test::local_options();
  options.impairment.delay = 100ms;
  harness h(options);
  REQUIRE_FALSE(h.open());
  client c(h);
  c.start_reading();
  const auto start = echo::test::clock::now();
  const std::string sent = pattern(3000);
  c.send(sent);
  c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
  REQUIRE(h.run_until([&] { return c.ended.has_value(); }));
  CHECK(*c.ended == asio::error::eof);
  CHECK(c.received == sent);
  CHECK(c.arrivals.front() - start >= 100ms);
  CHECK(events(h, event::delayed) >= 1);
}

TEST_CASE("impairment: --once under --delay answers once, after the delay, then closes",
          "[inprocess][impairment]") {
  echo::server_options options = echo::test::local_options();
  options.impairment.delay = 80ms;
  options.reply.mode = echo::reply_mode::prefix;
  options.reply.once = true;
  harness h(options);
  REQUIRE_FALSE(h.open());
  client c(h);
  c.start_reading();
  const auto start = echo::test::clock::now();
  c.send("one\ntwo\n");
  REQUIRE(h.run_until([&] { return c.ended.has_value(); }));
  CHECK(*c.ended == asio::error::eof);
  CHECK(c.received == "Echo: one\n");
  CHECK(since(start) >= 80ms);
}

TEST_CASE("impairment: a graceful stop writes the held replies before it closes",
          "[inprocess][impairment]") {
  echo::server_options options = echo::test::local_options();
  options.impairment.delay = 150ms;
  harness h(options);
  REQUIRE_FALSE(h.open());
  client c(h);
  c.start_reading();
  const std::string sent = pattern(5000);
  c.send(sent);
  REQUIRE(h.run_until([&] { return h.counters().bytes_in == sent.size(); }));
  h.get().stop();
  REQUIRE(h.run_until([&] { return c.ended.has_value(); }));
  CHECK(c.received == sent);
  CHECK(h.counters().closed_by[echo::metric_label(echo::ending::shutdown)] == 1);
}

TEST_CASE("impairment: --reset-after gives exactly N bytes, then a reset, counted as impairment",
          "[inprocess][impairment]") {
  log_capture log;
  echo::server_options options = echo::test::local_options();
  options.impairment.reset_after = 1000;
  harness h(options, log.make_logger());
  REQUIRE_FALSE(h.open());
  client c(h);
  const asio::ip::tcp::endpoint peer = c.socket().local_endpoint();
  c.start_reading();
  const std::string sent = pattern(3000);
  c.send(sent);
  REQUIRE(h.run_until([&] { return c.ended.has_value(); }));
  CHECK(*c.ended == asio::error::connection_reset);
  CHECK(c.received == sent.substr(0, 1000));
  CHECK(events(h, event::reset) == 1);
  REQUIRE(h.run_until([&] { return h.counters().closed_by[6] == 1; }));
  CHECK(echo::ending_labels[echo::metric_label(echo::ending::impairment_reset)] == "impairment");
  CHECK(log.closed_reason(peer) == "reset by --reset-after");
}

TEST_CASE("impairment: held replies are capped per connection, then the session stops reading",
          "[inprocess][impairment]") {
  echo::server_options options = echo::test::local_options();
  options.impairment.delay = 100ms;
  harness h(options);
  REQUIRE_FALSE(h.open());
  client c(h);
  c.socket().non_blocking(true);
  // Four megabytes offered without reading, for a while: the server may take its cap, never all.
  const std::string chunk = pattern(64 * 1024);
  std::size_t offered = 0;
  std::string sent;
  h.run_until(
      [&] {
        error_code ec;
        const std::size_t n = c.socket().write_some(asio::buffer(chunk), ec);
        if (!ec) {
          sent.append(chunk, 0, n);
          offered += n;
        }
        return offered >= 4u << 20;
      },
      300ms);
  // It holds (has read and not written) at most its cap, plus the one read that reached it.
  const std::uint64_t in = h.counters().bytes_in;
  const std::uint64_t out = h.counters().bytes_out;
  INFO("offered " << sent.size() << ", read " << in << ", written " << out);
  CHECK(in - out <= echo::impaired_stream::held_cap + 64 * 1024);
  CHECK(in < sent.size());
  // Reading now gets every byte back, in order.
  c.socket().non_blocking(false);
  c.start_reading();
  REQUIRE(h.run_until([&] { return c.received.size() >= sent.size(); }, 10s));
  CHECK(c.received == sent);
}

TEST_CASE("impairment: a change at run time reaches an open connection at its next reply",
          "[inprocess][impairment]") {
  harness h(echo::test::local_options());
  REQUIRE_FALSE(h.open());
  client c(h);
  c.start_reading();
  const auto round_trip = [&](const std::string& text) {
    const std::size_t before = c.received.size();
    const auto start = echo::test::clock::now();
    c.send(text);
    REQUIRE(h.run_until([&] { return c.received.size() == before + text.size(); }));
    return since(start);
  };
  CHECK(round_trip("fast") < 50ms);
  echo::impairment::settings slow;
  slow.delay = 100ms;
  h.get().impairments().set(slow, 1);
  h.run_for(1ms);  // the posted change runs on the reactor's next turn
  CHECK(round_trip("slow") >= 100ms);
  // Off again while a reply is held: the next one still comes after it (byte order).
  c.send("held");
  h.get().impairments().set({}, 1);
  h.run_for(1ms);
  c.send("after");
  REQUIRE(h.run_until([&] { return c.received.size() == 17; }));
  CHECK(c.received == "fastslowheldafter");
  CHECK(round_trip("fast again") < 50ms);
}

TEST_CASE("impairment: slices, throttling and a stall are counted", "[inprocess][impairment]") {
  echo::server_options options = echo::test::local_options();
  options.impairment.slice = 100;
  options.impairment.throttle = 1u << 20;
  options.impairment.stall = 50ms;
  harness h(options);
  REQUIRE_FALSE(h.open());
  client c(h);
  c.start_reading();
  const std::string sent = pattern(1000);
  c.send(sent);
  REQUIRE(h.run_until([&] { return c.received.size() == sent.size(); }));
  CHECK(c.received == sent);
  CHECK(c.arrivals.size() >= 5);  // pieces of at most 100 bytes, paced
  CHECK(events(h, event::sliced) == 1);
  CHECK(events(h, event::throttled) == 1);
  REQUIRE(h.run_until([&] { return events(h, event::stalled) == 1; }));
  // The stall ends and the connection reads again.
  c.send("more");
  REQUIRE(h.run_until([&] { return c.received.size() == sent.size() + 4; }));
  CHECK(events(h, event::stalled) == 1);  // once per connection
}
