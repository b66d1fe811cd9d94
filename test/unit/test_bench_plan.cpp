// bench_plan: what each --bench connection holds and when it sends. The open-loop schedules
// interleave into one send every 1/rate seconds (they used to start together, in bursts), and
// what a connection holds follows the load (it used to be a 512 KiB ring per connection).

#include "client/bench_plan.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

namespace {

using echo::bench_flow_plan;
using echo::bench_options;
using echo::plan_bench_flow;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

constexpr milliseconds default_timeout{10'000};

bench_options open_loop(double rate, std::size_t connections, std::size_t size = 64) {
  bench_options b;
  b.rate = rate;
  b.connections = connections;
  b.size = size;
  return b;
}

}  // namespace

TEST_CASE("bench_plan: open-loop connections interleave, one send every 1/rate", "[bench_plan]") {
  struct schedule_case {
    double rate;
    std::size_t connections;
  };
  for (const auto& c : {schedule_case{2000, 200}, schedule_case{100, 3}, schedule_case{1, 2000},
                        schedule_case{20, 50}, schedule_case{4000, 1}}) {
    DYNAMIC_SECTION(c.connections << " connections at " << c.rate << " msgs/s") {
      const bench_options b = open_loop(c.rate, c.connections);
      const auto gap =
          std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(1 / c.rate));
      const auto interval = std::chrono::duration_cast<nanoseconds>(
          std::chrono::duration<double>(static_cast<double>(c.connections) / c.rate));
      // Every send in the first interval, from every connection.
      std::vector<nanoseconds> sends;
      for (std::size_t i = 0; i < c.connections; ++i) {
        const bench_flow_plan plan = plan_bench_flow(b, default_timeout, i);
        CHECK(plan.interval == interval);
        CHECK(plan.offset >= nanoseconds(0));
        CHECK(plan.offset < plan.interval);
        sends.push_back(plan.offset);
      }
      std::sort(sends.begin(), sends.end());
      CHECK(sends.front() == nanoseconds(0));
      for (std::size_t k = 1; k < sends.size(); ++k) {
        INFO("send " << k);
        // Evenly spaced, give or take a nanosecond of rounding.
        CHECK(std::chrono::abs(sends[k] - sends[k - 1] - gap) <= nanoseconds(1));
      }
      // The last one leaves one gap to the first connection's second send.
      CHECK(std::chrono::abs(interval - sends.back() - gap) <= nanoseconds(1));
    }
  }
}

TEST_CASE("bench_plan: open loop holds what --timeout of the schedule needs", "[bench_plan]") {
  struct hold_case {
    bench_options b;
    milliseconds timeout;
    std::size_t max_in_flight;
    std::size_t read_buffer;
  };
  const std::vector<hold_case> cases = {
      // One message every 2000 s per connection: two in flight at most, 128 bytes read at once.
      {open_loop(1, 2000), default_timeout, 2, 128},
      {open_loop(1, 100'000), default_timeout, 2, 128},
      // 1000 msgs/s per connection: 10 s of it.
      {open_loop(4000, 4), default_timeout, 10'000, 64 * 1024},
      {open_loop(4000, 4), milliseconds(500), 500, 32'000},
      {open_loop(2000, 200), default_timeout, 100, 6400},
      // Impossible rates stop at 65,536 in flight, as the fixed ring did.
      {open_loop(100'000'000, 1), default_timeout, 65'536, 64 * 1024},
      // 1 GiB for all connections together: 16 MiB messages over 64 connections, one each.
      {open_loop(1000, 64, 16 * 1024 * 1024), default_timeout, 1, 64 * 1024},
      {open_loop(1000, 16, 16 * 1024 * 1024), default_timeout, 4, 64 * 1024},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.b.connections << " x " << c.b.size << " B at " << c.b.rate << " msgs/s, "
                                    << c.timeout.count() << " ms") {
      for (std::size_t i : {std::size_t{0}, c.b.connections - 1}) {
        const bench_flow_plan plan = plan_bench_flow(c.b, c.timeout, i);
        CHECK(plan.max_in_flight == c.max_in_flight);
        CHECK(plan.read_buffer == c.read_buffer);
      }
    }
  }
}

TEST_CASE("bench_plan: closed loop holds --depth messages, no schedule", "[bench_plan]") {
  struct closed_case {
    std::size_t size;
    std::size_t depth;
    std::size_t read_buffer;
  };
  for (const auto& c :
       {closed_case{64, 1, 64}, closed_case{64, 16, 1024}, closed_case{65536, 4, 64 * 1024},
        closed_case{16 * 1024 * 1024, 64, 64 * 1024}}) {
    DYNAMIC_SECTION(c.size << " B, depth " << c.depth) {
      bench_options b;
      b.size = c.size;
      b.depth = c.depth;
      b.connections = 3;
      const bench_flow_plan plan = plan_bench_flow(b, default_timeout, 2);
      CHECK(plan.interval == bench_flow_plan::duration::zero());
      CHECK(plan.max_in_flight == c.depth);
      CHECK(plan.read_buffer == c.read_buffer);
    }
  }
}
