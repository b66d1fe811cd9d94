#pragma once
// What one --bench connection holds and, in open loop, when it sends: worked out from the options
// alone (no sockets), so that the schedule and the memory bounds are unit tested. bench creates a
// plan per connection and its flow follows it.
//
// Open loop (--rate R total over C connections): each connection sends every C/R seconds, and
// connection i starts i/R seconds after the run's start, so the C schedules interleave into one
// send every 1/R seconds rather than C sends at once. A connection may hold max_in_flight
// messages sent and not yet echoed: the messages it is scheduled to send in --timeout (at least 2,
// at most 65,536, and within bench_options::max_bytes_in_flight for all connections together).
// One more due means the server (or the client) cannot keep up with the rate.

#include "client/client_options.hpp"

#include <chrono>
#include <cstddef>

namespace echo {

struct bench_flow_plan {
  using duration = std::chrono::steady_clock::duration;

  duration interval{0};  // open loop: between this connection's messages; zero: closed loop
  duration offset{0};    // open loop: its first message, after the run's start
  std::size_t max_in_flight = 1;  // messages sent and not yet echoed whole
  std::size_t read_buffer = 0;    // bytes read at once: no more than can be in flight
};

// The plan of connection `index` (0 to b.connections - 1); `timeout` is --timeout.
bench_flow_plan plan_bench_flow(const bench_options& b, std::chrono::milliseconds timeout,
                                std::size_t index);

}  // namespace echo
