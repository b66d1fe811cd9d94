#include "client/bench_threads.hpp"

#include <sys/resource.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <exception>
#include <thread>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

using seconds = std::chrono::duration<double>;

double process_cpu_us() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto us = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
  };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

}  // namespace

bench_share share_of(std::size_t connections, std::size_t threads, std::size_t index) {
  const std::size_t base = connections / threads;
  const std::size_t extra = connections % threads;
  return {index * base + std::min(index, extra), base + (index < extra ? 1 : 0)};
}

void bench_interval::merge(const bench_interval& other) {
  completed += other.completed;
  errors += other.errors;
  mismatches += other.mismatches;
  latencies.merge(other.latencies);
}

// One reactor: its io_context, thread and state, and the timer that closes each second of the
// window (its own thread's: the state is read where it is written).
struct bench_threads::reactor {
  explicit reactor(const bench_options& options) : state(options) {}

  void do_tick() {
    ticker.expires_at(tick_at);
    ticker.async_wait([this](const error_code& ec) {
      if (!ec) on_tick();
    });
  }

  // The first tick, at the window's start, only notes where the counters stand.
  void on_tick() {
    if (tick_at > state.measure_from) {
      bench_interval interval;
      interval.start_s = seconds(interval_from - state.measure_from).count();
      interval.end_s = seconds(tick_at - state.measure_from).count();
      interval.completed = state.completed - completed_before;
      interval.errors = state.errors - errors_before;
      interval.mismatches = state.mismatches - mismatches_before;
      interval.latencies = state.interval_latencies;
      asio::post(owner->main_, [owner = owner, interval = std::move(interval), n = next_number] {
        owner->on_interval(interval, n);
      });
      ++next_number;
    }
    state.interval_latencies = latency_histogram();
    completed_before = state.completed;
    errors_before = state.errors;
    mismatches_before = state.mismatches;
    if (tick_at >= state.measure_until) return;
    interval_from = tick_at;
    tick_at = std::min(tick_at + std::chrono::seconds(1), state.measure_until);
    do_tick();
  }

  bench_threads* owner = nullptr;
  bench_state state;  // above the io_context: the flows' handlers, which die with it, touch it
  // Only this reactor's thread uses it once it runs (run() sets the first tick before starting the
  // thread; intervals are posted to main_): no locking, 5% of echo-client's CPU per message in
  // bench/run's (l1) (3.77 -> 3.57 µs).
  asio::io_context context{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
  asio::steady_timer ticker{context};
  clock::time_point interval_from;
  clock::time_point tick_at;
  std::size_t next_number = 0;
  std::uint64_t completed_before = 0;
  std::uint64_t errors_before = 0;
  std::uint64_t mismatches_before = 0;
  std::exception_ptr failure;
  std::thread thread;
};

bench_threads::bench_threads(const bench_options& options, std::size_t threads)
    : options_(options) {
  for (std::size_t i = 0; i < threads; ++i) {
    reactors_.push_back(std::make_unique<reactor>(options));
    reactors_.back()->owner = this;
  }
}

bench_threads::~bench_threads() {
  for (auto& r : reactors_) {
    if (r->thread.joinable()) r->thread.join();
  }
}

bench_state& bench_threads::state(std::size_t index) { return reactors_.at(index)->state; }

const bench_state& bench_threads::state(std::size_t index) const {
  return reactors_.at(index)->state;
}

void bench_threads::run(const start_function& start, const interval_function& on_interval) {
  interval_function_ = on_interval;
  const clock::time_point started = clock::now();
  const clock::time_point from = started + options_.warmup;
  const clock::time_point until = from + options_.duration;
  asio::steady_timer window_start(main_, from);
  window_start.async_wait([this](const error_code&) { cpu_us_ = process_cpu_us(); });
  asio::steady_timer window_end(main_, until);
  window_end.async_wait([this](const error_code&) { cpu_us_ = process_cpu_us() - cpu_us_; });
  work_.emplace(main_.get_executor());
  running_ = reactors_.size();
  for (std::size_t i = 0; i < reactors_.size(); ++i) {
    reactor& r = *reactors_[i];
    r.state.started = started;
    r.state.measure_from = from;
    r.state.measure_until = until;
    r.tick_at = from;
    r.do_tick();
    const bench_share share = share_of(options_.connections, reactors_.size(), i);
    r.thread = std::thread([this, &r, &start, i, share] {
      try {
        start(i, r.context, r.state, share);
        r.context.run();
      } catch (...) {
        r.failure = std::current_exception();
      }
      asio::post(main_, [this] { on_reactor_done(); });
    });
  }
  main_.run();
  for (auto& r : reactors_) r->thread.join();
  for (auto& r : reactors_) {
    if (r->failure) std::rethrow_exception(r->failure);
  }
}

// Each reactor posts its intervals in order, so interval n is complete before n + 1 can be.
void bench_threads::on_interval(const bench_interval& interval, std::size_t number) {
  while (pending_.size() <= number - next_interval_) pending_.emplace_back(bench_interval(), 0);
  auto& [merged, heard] = pending_[number - next_interval_];
  if (heard++ == 0) {
    merged = interval;
  } else {
    merged.merge(interval);
  }
  while (!pending_.empty() && pending_.front().second == reactors_.size()) {
    if (interval_function_) interval_function_(pending_.front().first);
    pending_.pop_front();
    ++next_interval_;
  }
}

void bench_threads::on_reactor_done() {
  if (--running_ == 0) work_.reset();
}

bench_state bench_threads::merged() const {
  bench_state total(options_);
  for (const auto& r : reactors_) {
    total.started = r->state.started;
    total.measure_from = r->state.measure_from;
    total.measure_until = r->state.measure_until;
    total.merge(r->state);
  }
  return total;
}

}  // namespace echo
