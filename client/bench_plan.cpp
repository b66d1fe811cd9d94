#include "client/bench_plan.hpp"

#include <algorithm>
#include <cmath>

namespace echo {

namespace {

// The most a connection reads at once; more gains nothing over loopback's segment sizes.
constexpr std::size_t max_read_buffer = 64 * 1024;
// Open loop: a connection's in-flight bound whatever --timeout allows (the former fixed ring).
constexpr std::size_t max_open_loop_in_flight = 65'536;

std::size_t open_loop_in_flight(const bench_options& b, std::chrono::milliseconds timeout,
                                bench_flow_plan::duration interval) {
  const double per_timeout = std::ceil(std::chrono::duration<double>(timeout).count() /
                                       std::chrono::duration<double>(interval).count());
  const std::size_t by_time = per_timeout >= static_cast<double>(max_open_loop_in_flight)
                                  ? max_open_loop_in_flight
                                  : std::max<std::size_t>(2, static_cast<std::size_t>(per_timeout));
  // The options parser refused a --size x --connections over the budget, so this is at least 1.
  const std::size_t by_memory =
      std::max<std::size_t>(1, bench_options::max_bytes_in_flight / (b.size * b.connections));
  return std::min(by_time, by_memory);
}

}  // namespace

bench_flow_plan plan_bench_flow(const bench_options& b, std::chrono::milliseconds timeout,
                                std::size_t index) {
  using seconds = std::chrono::duration<double>;
  bench_flow_plan plan;
  if (b.rate > 0) {
    const auto connections = static_cast<double>(b.connections);
    plan.interval =
        std::chrono::duration_cast<bench_flow_plan::duration>(seconds(connections / b.rate));
    plan.offset = std::chrono::duration_cast<bench_flow_plan::duration>(
        seconds(static_cast<double>(index) / b.rate));
    plan.max_in_flight = open_loop_in_flight(b, timeout, plan.interval);
  } else {
    plan.max_in_flight = b.is_churn ? 1 : b.depth;
  }
  plan.read_buffer = std::min(max_read_buffer, b.size * plan.max_in_flight);
  return plan;
}

}  // namespace echo
