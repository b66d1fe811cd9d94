#pragma once
// --bench: load an echo server and measure it. N connections each keep K fixed-size messages in
// flight (closed loop), or send on a fixed schedule (--rate, open loop: latency counts from the
// scheduled time, so a slow server cannot hide its queueing), or open a new connection per
// message (--churn). Every echoed byte is checked. Reports messages/s, MB/s, latency percentiles
// from a log-bucketed histogram, errors and mismatches; --json prints one object instead.
// Created by main; run() returns the exit code (failure when any error or mismatch was seen).
// Over TLS each connection handshakes before it sends (churn: the handshake is part of each
// message's latency); a failed handshake counts as a connection error. Open loop: the connections'
// schedules interleave (see bench_plan); one that falls max_in_flight messages behind stops and
// counts one error, and run() prints one line saying the rate cannot be sustained.

#include "client/client_options.hpp"
#include "client/client_tls.hpp"
#include "client/latency_histogram.hpp"
#include "common/errors.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace echo {

namespace detail {
class bench_flow;
class churn_flow;
}  // namespace detail

// What every flow of one run shares: where to connect, the clock phases and the counters.
struct bench_state {
  using clock = std::chrono::steady_clock;

  explicit bench_state(const bench_options& o) : options(o) {}

  const bench_options& options;
  client_tls* tls = nullptr;  // nullptr: plain TCP
  boost::asio::ip::tcp::resolver::results_type server;
  clock::time_point started;  // the open-loop schedules' origin
  clock::time_point measure_from;
  clock::time_point measure_until;
  bool is_stopping = false;
  latency_histogram latencies;
  std::uint64_t completed = 0;  // messages echoed whole inside the measurement window
  std::uint64_t errors = 0;
  std::uint64_t mismatches = 0;
  // Open loop: connections stopped because a message came due with max_in_flight in flight; the
  // first one's figures, for the report.
  std::uint64_t fell_behind = 0;
  std::size_t behind_in_flight = 0;
  clock::duration behind_by{0};

  bool is_measuring(clock::time_point t) const { return t >= measure_from && t < measure_until; }
  // Counts a message echoed whole at `done`, sent (or scheduled) at `sent`.
  void complete(clock::time_point sent, clock::time_point done);
};

class bench {
 public:
  bench(const client_options& options, const logger& log);
  ~bench();
  exit_code run();

 private:
  void start_flows();
  void do_progress();
  void finish();
  void print_report() const;
  void report_fell_behind() const;

  const client_options& options_;
  const logger& log_;
  std::unique_ptr<client_tls> tls_;  // nullptr without TLS; outlives every flow
  boost::asio::io_context context_{1};
  bench_state state_;
  boost::asio::steady_timer end_timer_;
  boost::asio::steady_timer progress_timer_;
  std::vector<std::shared_ptr<detail::bench_flow>> flows_;
  std::vector<std::shared_ptr<detail::churn_flow>> churns_;
  std::uint64_t last_completed_ = 0;
  bool is_progress_shown_ = false;
};

}  // namespace echo
