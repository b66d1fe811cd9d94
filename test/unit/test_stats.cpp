// stats: the summary line logged at shutdown.

#include "common/stats.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
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
