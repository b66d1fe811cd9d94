#pragma once
// What every flow of one bench run shares: its options, where to connect, the measurement window
// and the counters. Owned by whoever runs the flows (bench, bench/soak_load), which sets `tls` and
// `server`, and outlives them; bench_load sets the window, the flows add to the counters, and the
// report reads them once the flows have stopped. One reactor: no locking. With --threads each
// reactor has its own (bench_threads), all with the same window, and the report merges them.

#include "client/client_options.hpp"
#include "client/client_tls.hpp"
#include "client/latency_histogram.hpp"
#include "client/next_turn.hpp"
#include "client/source_addresses.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace echo {

class bench_flow;

struct bench_state {
  using clock = std::chrono::steady_clock;

  explicit bench_state(const bench_options& o) : options(o) {}

  const bench_options& options;
  client_tls* tls = nullptr;  // nullptr: plain TCP
  boost::asio::ip::tcp::resolver::results_type server;
  source_addresses sources;   // --source, or churn's default; empty: the kernel's choice
  clock::time_point started;  // the open-loop schedules' origin
  clock::time_point measure_from;
  clock::time_point measure_until;
  bool is_stopping = false;
  // Flows whose next read starts on the reactor's next turn (bench_flow::on_read).
  next_turn<bench_flow> reads_due;
  latency_histogram latencies;
  latency_histogram interval_latencies;  // since bench_threads last took them (each second)
  std::uint64_t completed = 0;           // messages echoed whole inside the measurement window
  std::uint64_t errors = 0;
  std::uint64_t mismatches = 0;
  // Open loop: connections stopped because a message came due with max_in_flight in flight; the
  // first one's figures, for the report.
  std::uint64_t fell_behind = 0;
  std::size_t behind_in_flight = 0;
  clock::duration behind_by{0};

  bool is_measuring(clock::time_point t) const { return t >= measure_from && t < measure_until; }

  // Counts a message echoed whole at `done`, sent (or scheduled) at `sent`.
  void complete(clock::time_point sent, clock::time_point done) {
    if (is_measuring(done)) count(done - sent);
  }

  // Counts a message echoed whole in the window, `latency` after it was sent.
  void count(clock::duration latency) {
    ++completed;
    latencies.record(latency);
    interval_latencies.record(latency);
  }

  // Adds another reactor's counters; the first one to fall behind keeps its figures.
  void merge(const bench_state& other) {
    latencies.merge(other.latencies);
    completed += other.completed;
    errors += other.errors;
    mismatches += other.mismatches;
    if (fell_behind == 0) {
      behind_in_flight = other.behind_in_flight;
      behind_by = other.behind_by;
    }
    fell_behind += other.fell_behind;
  }
};

}  // namespace echo
