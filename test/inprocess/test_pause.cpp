// The line-mode pause race: a message without a final newline is answered once the client has
// been quiet for --message-wait, exactly once and whole, and each piece that comes before the
// pause ends starts the wait again.

#include "test/inprocess/pause_scenario.hpp"

#include <catch2/catch.hpp>

namespace {

using namespace std::chrono_literals;
using echo::test::clock;

}  // namespace

TEST_CASE("pause: a message in pieces is answered once, whole, after the last piece's pause",
          "[inprocess][pause]") {
  constexpr auto wait = 40ms;
  echo::test::harness h(echo::test::prefix_options(wait));
  REQUIRE_FALSE(h.open());

  echo::test::client c(h);
  c.start_reading();
  echo::test::check_pieces_answered_once(h, c, wait);
}

TEST_CASE("pause: a newline answers at once, without waiting for a pause", "[inprocess][pause]") {
  constexpr auto wait = 500ms;
  echo::test::harness h(echo::test::prefix_options(wait));
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
