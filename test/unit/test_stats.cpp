// stats: the counters (single-writer atomics), the summary line logged at shutdown and the
// name=value stats line of SIGUSR1 and --stats-interval.

#include "server/stats.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

TEST_CASE("stats: counters start at zero", "[stats]") {
  const echo::stats s;
  REQUIRE(s.connections_total == 0);
  REQUIRE(s.connections_active == 0);
  REQUIRE(s.bytes_in == 0);
  REQUIRE(s.bytes_out == 0);
  REQUIRE(s.summary() == "served 0 connections, 0 bytes in, 0 bytes out");
}

TEST_CASE("stats: summary wording for one connection vs many", "[stats]") {
  struct summary_case {
    std::uint64_t connections;
    std::uint64_t bytes_in;
    std::uint64_t bytes_out;
    std::string expected;
  };
  const std::vector<summary_case> cases = {
      {1, 5, 5, "served 1 connection, 5 bytes in, 5 bytes out"},
      {2, 0, 0, "served 2 connections, 0 bytes in, 0 bytes out"},
      {12, 3456, 3456, "served 12 connections, 3456 bytes in, 3456 bytes out"},
      {18446744073709551615u, 18446744073709551615u, 7,
       "served 18446744073709551615 connections, 18446744073709551615 bytes in, 7 bytes out"},
  };
  for (const auto& c : cases) {
    echo::stats s;
    s.connections_total = c.connections;
    s.connections_active = 1;  // not part of the summary
    s.bytes_in = c.bytes_in;
    s.bytes_out = c.bytes_out;
    REQUIRE(s.summary() == c.expected);
  }
}

TEST_CASE("stats: summary says '1 byte' for a single byte", "[stats]") {
  echo::stats s;
  s.connections_total = 1;
  s.bytes_in = 1;
  s.bytes_out = 1;
  REQUIRE(s.summary() == "served 1 connection, 1 byte in, 1 byte out");
}

TEST_CASE("stats: summary adds refused and timed out connections when there are any", "[stats]") {
  struct summary_case {
    std::uint64_t refused;
    std::uint64_t timed_out;
    std::string tail;
  };
  const std::vector<summary_case> cases = {
      {0, 0, ""},
      {7, 0, ", 7 refused"},
      {0, 5, ", 5 timed out"},
      {7, 5, ", 7 refused, 5 timed out"},
      {1, 1, ", 1 refused, 1 timed out"},
  };
  for (const auto& c : cases) {
    echo::stats s;
    s.connections_total = 6;
    s.bytes_in = 6;
    s.bytes_out = 12;
    s.refused = c.refused;
    s.timed_out = c.timed_out;
    REQUIRE(s.summary() == "served 6 connections, 6 bytes in, 12 bytes out" + c.tail);
  }
  const echo::stats fresh;
  REQUIRE(fresh.refused == 0);
  REQUIRE(fresh.timed_out == 0);
}

TEST_CASE("stats: a counter takes ++, --, += and = like the integer it replaced", "[stats]") {
  echo::counter c;
  REQUIRE(c == 0);
  ++c;
  ++c;
  REQUIRE(c.load() == 2);
  --c;
  REQUIRE(c == 1);
  c += 41;
  REQUIRE(c == 42);
  c -= 2;
  REQUIRE(c == 40);
  c = 7;
  REQUIRE(c == 7);
  REQUIRE(std::to_string(c) == "7");
  const echo::counter copy = c;  // a snapshot
  ++c;
  REQUIRE(copy == 7);
  REQUIRE(c == 8);
  echo::counter big = 18446744073709551615u;
  REQUIRE(big.load() == 18446744073709551615u);
  ++big;
  REQUIRE(big == 0);  // wraps like the integer
}

TEST_CASE("stats: counters are lock-free 64-bit atomics", "[stats]") {
  // A lock would defeat the point: the reactor updates them on every message.
  REQUIRE(std::atomic<std::uint64_t>::is_always_lock_free);
}

TEST_CASE("stats: the stats line names every counter in a fixed order", "[stats]") {
  echo::stats s;
  REQUIRE(s.name_values() ==
          "connections_active=0 connections_total=0 bytes_in=0 bytes_out=0 refused=0 timed_out=0");
  s.connections_active = 3;
  s.connections_total = 12;
  s.bytes_in = 3456;
  s.bytes_out = 3457;
  s.refused = 2;
  s.timed_out = 1;
  REQUIRE(s.name_values() ==
          "connections_active=3 connections_total=12 bytes_in=3456 bytes_out=3457 refused=2 "
          "timed_out=1");
}

TEST_CASE("stats: += adds every counter of another reactor", "[stats]") {
  echo::stats a;
  a.connections_active = 1;
  a.connections_total = 2;
  a.bytes_in = 3;
  a.bytes_out = 4;
  a.refused = 5;
  a.timed_out = 6;
  echo::stats b;
  b.connections_active = 10;
  b.connections_total = 20;
  b.bytes_in = 30;
  b.bytes_out = 40;
  b.refused = 50;
  b.timed_out = 60;
  echo::stats total;
  total += a;
  total += b;
  REQUIRE(total.name_values() ==
          "connections_active=11 connections_total=22 bytes_in=33 bytes_out=44 refused=55 "
          "timed_out=66");
  REQUIRE(a.bytes_in == 3);  // the operands are only read
}

// One writer, one reader on another thread, as with --workers: the reader never sees a value go
// backwards or one the writer never wrote, and sees the final value once the writer is done.
TEST_CASE("stats: another thread reads a counter while its owner writes it", "[stats]") {
  echo::stats s;
  constexpr std::uint64_t steps = 200'000;
  std::atomic<bool> is_done{false};
  std::thread writer([&] {
    for (std::uint64_t i = 0; i < steps; ++i) {
      ++s.connections_total;
      s.bytes_in += 3;
    }
    is_done = true;
  });
  std::uint64_t last = 0;
  bool is_monotonic = true;
  bool is_whole = true;
  while (!is_done) {
    const echo::stats snapshot = s;
    const std::uint64_t now = snapshot.connections_total;
    is_monotonic = is_monotonic && now >= last;
    is_whole = is_whole && snapshot.bytes_in % 3 == 0 && snapshot.bytes_in <= 3 * steps;
    last = now;
  }
  writer.join();
  CHECK(is_monotonic);
  CHECK(is_whole);
  CHECK(s.connections_total == steps);
  CHECK(s.bytes_in == 3 * steps);
}
