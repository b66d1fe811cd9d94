// Lingering close: a connection the server ends after its reply (--once, a line over --max-line)
// while the client is still sending. The server half-closes and reads and discards what still
// comes, so the client gets the whole reply and an orderly EOF; closing at once, with the client's
// bytes unread, would send a reset that can destroy the reply before the client reads it.

#include "test/inprocess/harness.hpp"

#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Sends `payload` (far more than one read of the server's) asynchronously, then half-closes, and
// reads until the stream ends; returns the client once it has.
void send_all_then_half_close(echo::test::harness& h, echo::test::client& c,
                              const std::string& payload, boost::system::error_code& write_ec,
                              bool& is_written) {
  c.start_reading();
  asio::async_write(c.socket(), asio::buffer(payload),
                    [&](const boost::system::error_code& ec, std::size_t) {
                      write_ec = ec;
                      is_written = true;
                      boost::system::error_code ignored;
                      c.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
                    });
  REQUIRE(h.run_until([&] { return is_written && c.ended.has_value(); }, 5000ms));
}

}  // namespace

TEST_CASE("linger: --once replies, then discards late bytes and ends with EOF, not a reset",
          "[inprocess][linger]") {
  echo::server_options options = echo::test::local_options();
  options.reply.once = true;
  echo::test::harness h(options);
  REQUIRE_FALSE(h.open());

  echo::test::client c(h);
  // Short lines (echo mode, too, holds a line to --max-line).
  std::string payload;
  while (payload.size() < 4 * 1024 * 1024) payload += "late bytes\n";
  boost::system::error_code write_ec;
  bool is_written = false;
  send_all_then_half_close(h, c, payload, write_ec, is_written);

  CHECK_FALSE(write_ec);  // every late byte was taken (and discarded), none refused by a reset
  CHECK(*c.ended == asio::error::eof);
  // The reply is the echo of the server's first reply: a non-empty start of what was sent.
  CHECK_FALSE(c.received.empty());
  CHECK(c.received.size() < payload.size());
  CHECK(payload.compare(0, c.received.size(), c.received) == 0);
  CHECK(h.counters().bytes_out == c.received.size());
  REQUIRE(h.run_until([&] { return h.counters().connections_active == 0; }));
  CHECK(h.counters().closed_by[echo::metric_label(echo::ending::once)] == 1);
}

TEST_CASE("linger: a line over --max-line gets its answer and EOF, not a reset",
          "[inprocess][linger]") {
  echo::server_options options = echo::test::local_options();
  options.reply.mode = echo::reply_mode::prefix;
  options.reply.max_line = 16;
  echo::test::harness h(options);
  REQUIRE_FALSE(h.open());

  echo::test::client c(h);
  const std::string payload(4 * 1024 * 1024, 'y');
  boost::system::error_code write_ec;
  bool is_written = false;
  send_all_then_half_close(h, c, payload, write_ec, is_written);

  CHECK_FALSE(write_ec);
  CHECK(*c.ended == asio::error::eof);
  CHECK(c.received == "error: line longer than 16 bytes, closing\n");
  CHECK(h.counters().bytes_out == c.received.size());
  REQUIRE(h.run_until([&] { return h.counters().connections_active == 0; }));
  CHECK(h.counters().closed_by[echo::metric_label(echo::ending::line_too_long)] == 1);
}
