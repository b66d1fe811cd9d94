// The line-mode pause race: a message without a final newline is answered once the client has
// been quiet for --message-wait, exactly once and whole, and each piece that comes before the
// pause ends starts the wait again.

#include "test/inprocess/harness.hpp"

#include <catch2/catch.hpp>

namespace {

using namespace std::chrono_literals;
using echo::test::clock;

}  // namespace

TEST_CASE("pause: a message in pieces is answered once, whole, after the last piece's pause",
          "[inprocess][pause]") {
  constexpr auto wait = 40ms;
  echo::server_options options = echo::test::local_options();
  options.reply.mode = echo::reply_mode::prefix;
  options.message_wait = wait;
  echo::test::harness h(options);
  REQUIRE_FALSE(h.open());

  echo::test::client c(h);
  c.start_reading();
  c.send("hel");
  // Each piece comes before the pause since the previous one ends: 3/4 of the wait later.
  h.run_for(30ms);
  REQUIRE(c.received.empty());
  c.send("lo wo");
  h.run_for(30ms);
  REQUIRE(c.received.empty());  // not answered at the first piece's pause
  c.send("rld");
  const clock::time_point last_piece = clock::now();
  REQUIRE(h.run_until([&] { return !c.received.empty(); }, 2000ms));
  const clock::time_point answered = c.arrivals.front();
  // Answered after the last piece's pause, not at an earlier one, and not long after.
  CHECK(answered - last_piece >= wait);
  CHECK(answered - last_piece < wait + 500ms);
  // Exactly once: nothing more comes in several further pauses.
  h.run_for(4 * wait);
  CHECK(c.received == "Echo: hello world");  // a message without newline: no newline added
  CHECK(c.arrivals.size() == 1);
  CHECK(h.counters().messages == 1);
}

TEST_CASE("pause: a newline answers at once, without waiting for a pause", "[inprocess][pause]") {
  constexpr auto wait = 500ms;
  echo::server_options options = echo::test::local_options();
  options.reply.mode = echo::reply_mode::prefix;
  options.message_wait = wait;
  echo::test::harness h(options);
  REQUIRE_FALSE(h.open());

  echo::test::client c(h);
  c.start_reading();
  c.send("hel");
  h.run_for(20ms);
  c.send("lo\n");
  const clock::time_point sent = clock::now();
  REQUIRE(h.run_until([&] { return !c.received.empty(); }, 2000ms));
  CHECK(c.arrivals.front() - sent < wait);
  CHECK(c.received == "Echo: hello\n");
}
