#pragma once
// The reactors of one bench run (--threads N): N io_contexts, a thread each, each with its own
// bench_state and its share of the connections, all with the same measurement window. Created by
// bench and udp_bench after their probe; run() starts each reactor's flows on its own thread
// (through the caller's start function) and returns once every reactor ran out of work. Nothing
// is shared on the data path: each second of the window a reactor posts what it counted in that
// second (a bench_interval) to the calling thread, which merges the N of them and hands the merge
// to on_interval (the --json-stream line, the progress line). The calling thread also reads the
// process's CPU time at both ends of the window. After run(), merged() is the run's total.

#include "client/bench_state.hpp"
#include "client/client_options.hpp"
#include "client/latency_histogram.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace echo {

// Connections first to first + count - 1 (the ids the flows use, so that their patterns differ
// as with one thread); the first connections % threads reactors get one more.
struct bench_share {
  std::size_t first = 0;
  std::size_t count = 0;
};
bench_share share_of(std::size_t connections, std::size_t threads, std::size_t index);

// One second (the last may be shorter) of the measured window, from start_s to end_s after it
// began: what was counted in it, by one reactor or (once merged) by all.
struct bench_interval {
  double start_s = 0;
  double end_s = 0;
  std::uint64_t completed = 0;
  std::uint64_t errors = 0;
  std::uint64_t mismatches = 0;
  latency_histogram latencies;

  void merge(const bench_interval& other);
};

class bench_threads {
 public:
  using clock = bench_state::clock;
  // Called on reactor `index`'s thread before its io_context runs: make its flows on `context`,
  // counting into `state` (whose window is set), and start them. It must leave work on the
  // context that ends after the window (bench_load's stop, udp_bench's drain).
  using start_function = std::function<void(std::size_t index, boost::asio::io_context& context,
                                            bench_state& state, bench_share share)>;
  using interval_function = std::function<void(const bench_interval&)>;

  bench_threads(const bench_options& options, std::size_t threads);
  ~bench_threads();
  bench_threads(const bench_threads&) = delete;
  bench_threads& operator=(const bench_threads&) = delete;

  // Once. An exception on a reactor's thread is rethrown here, once every thread has ended.
  void run(const start_function& start, const interval_function& on_interval);

  std::size_t size() const { return reactors_.size(); }
  bench_state& state(std::size_t index);
  const bench_state& state(std::size_t index) const;
  // Every reactor's counters together (after run()).
  bench_state merged() const;
  // The process's user and system CPU over the measured window (every thread), in microseconds.
  double cpu_us() const { return cpu_us_; }

 private:
  struct reactor;

  void on_interval(const bench_interval& interval, std::size_t number);
  void on_reactor_done();

  const bench_options& options_;
  boost::asio::io_context main_{1};  // the calling thread's: intervals, CPU readings
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::unique_ptr<reactor>> reactors_;
  // Intervals not yet heard from every reactor, oldest first, with how many have reported.
  std::deque<std::pair<bench_interval, std::size_t>> pending_;
  std::size_t next_interval_ = 0;  // the index of pending_.front()
  interval_function interval_function_;
  std::size_t running_ = 0;
  double cpu_us_ = 0;
};

}  // namespace echo
