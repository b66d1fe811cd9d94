#include "client/bench.hpp"

#include "client/bench_plan.hpp"
#include "client/connection.hpp"
#include "common/endpoint.hpp"

#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <cstring>
#include <deque>
#include <string>

namespace echo {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using clock = bench_state::clock;

void bench_state::complete(clock::time_point sent, clock::time_point done) {
  if (!is_measuring(done)) return;
  ++completed;
  latencies.record(done - sent);
}

namespace detail {

// Message `seq` of a flow: its sequence number (little-endian, as many of its 8 bytes as fit),
// then the flow's own body bytes. A dropped, repeated or reordered message changes the bytes.
class message_pattern {
 public:
  message_pattern(std::size_t size, std::uint32_t flow_id) : body_(size) {
    for (std::size_t k = 0; k < size; ++k) {
      body_[k] = static_cast<char>((flow_id * 7 + k * 13) & 0xFF);
    }
  }

  std::size_t size() const { return body_.size(); }

  void append(std::vector<char>& out, std::uint64_t seq) const {
    const std::size_t at = out.size();
    out.insert(out.end(), body_.begin(), body_.end());
    for (std::size_t k = 0; k < header && k < body_.size(); ++k) {
      out[at + k] = static_cast<char>((seq >> (8 * k)) & 0xFF);
    }
  }

  // Whether `data` is what message `seq` holds from `offset` on.
  bool matches(std::uint64_t seq, std::size_t offset, const char* data, std::size_t n) const {
    std::size_t k = 0;
    for (; k < n && offset + k < header; ++k) {
      if (data[k] != static_cast<char>((seq >> (8 * (offset + k))) & 0xFF)) return false;
    }
    return std::memcmp(data + k, body_.data() + offset + k, n - k) == 0;
  }

 private:
  static constexpr std::size_t header = 8;
  std::vector<char> body_;
};

// One long-lived connection: closed loop (keep `depth` messages in flight) or open loop (send on
// its schedule, one message every plan.interval from plan.offset after the run's start).
class bench_flow : public std::enable_shared_from_this<bench_flow> {
 public:
  bench_flow(asio::io_context& context, bench_state& state, std::uint32_t id,
             const bench_flow_plan& plan)
      : stream_(context, state.tls, nullptr),
        pacer_(context),
        state_(state),
        pattern_(state.options.size, id),
        interval_(plan.interval),
        next_due_(state.started + plan.offset),
        max_in_flight_(plan.max_in_flight),
        in_(plan.read_buffer) {}

  void start() {
    asio::async_connect(stream_.socket(), state_.server,
                        [self = shared_from_this()](const error_code& ec, const tcp::endpoint&) {
                          self->on_connected(ec);
                        });
  }

  // Ends the flow; the completions still pending count no error.
  void stop() {
    is_stopped_ = true;
    stream_.close();
    pacer_.cancel();
  }

 private:
  void on_connected(const error_code& ec) {
    if (ec) return fail();
    error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    if (!stream_.is_tls()) return on_ready(ec);
    stream_.async_handshake([self = shared_from_this()](const error_code& handshake_ec) {
      self->on_ready(handshake_ec);
    });
  }

  // Connected, and with TLS the handshake done. Closed loop: the flow's clock starts with its
  // first message. Open loop: the schedule began with the run, and messages that came due while
  // connecting go at once, their latency counted from when they were due.
  void on_ready(const error_code& ec) {
    if (ec) return fail();
    do_read();
    if (interval_ == clock::duration::zero()) {
      queue(state_.options.depth, clock::now());
      flush();
    } else {
      on_pace(error_code());
    }
  }

  // Appends `count` messages, each sent (or scheduled) at `when`, to the next write. False when
  // the flow stopped instead: open loop, max_in_flight_ messages already in flight.
  bool queue(std::size_t count, clock::time_point when) {
    for (std::size_t i = 0; i < count; ++i) {
      if (send_times_.size() == max_in_flight_) {
        fall_behind(when);
        return false;
      }
      send_times_.push_back(when);
      pattern_.append(next_out_, next_send_seq_++);
    }
    return true;
  }

  // Counted once, however far behind the schedule runs from here: the flow stops.
  void fall_behind(clock::time_point due) {
    if (state_.fell_behind++ == 0) {
      state_.behind_in_flight = send_times_.size();
      state_.behind_by = due - send_times_.front();
    }
    ++state_.errors;
    stop();
  }

  void flush() {
    if (is_writing_ || next_out_.empty()) return;
    out_.swap(next_out_);
    next_out_.clear();
    is_writing_ = true;
    asio::async_write(
        stream_, asio::buffer(out_),
        [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(const error_code& ec) {
    is_writing_ = false;
    if (ec) return fail();
    flush();
  }

  void do_read() {
    stream_.async_read_some(
        asio::buffer(in_),
        [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const error_code& ec, std::size_t n) {
    if (ec) return fail();
    const clock::time_point now = clock::now();
    std::size_t echoed = 0;
    const char* data = in_.data();
    while (n > 0) {
      const std::size_t take = std::min(n, pattern_.size() - offset_);
      if (send_times_.empty() || !pattern_.matches(next_receive_seq_, offset_, data, take)) {
        ++state_.mismatches;
        return stop();
      }
      data += take;
      n -= take;
      offset_ += take;
      if (offset_ < pattern_.size()) break;
      offset_ = 0;
      ++next_receive_seq_;
      state_.complete(send_times_.front(), now);
      send_times_.pop_front();
      ++echoed;
    }
    if (interval_ == clock::duration::zero() && !state_.is_stopping) queue(echoed, now);
    flush();
    do_read();
  }

  void on_pace(const error_code& ec) {
    if (ec || is_stopped_ || state_.is_stopping) return;
    const clock::time_point now = clock::now();
    while (next_due_ <= now) {
      if (!queue(1, next_due_)) return;
      next_due_ += interval_;
    }
    flush();
    pacer_.expires_at(next_due_);
    pacer_.async_wait(
        [self = shared_from_this()](const error_code& wait_ec) { self->on_pace(wait_ec); });
  }

  void fail() {
    if (is_stopped_) return;
    if (!state_.is_stopping) ++state_.errors;
    stop();
  }

  client_stream stream_;
  asio::steady_timer pacer_;
  bench_state& state_;
  message_pattern pattern_;
  clock::duration interval_;
  clock::time_point next_due_;
  std::size_t max_in_flight_;
  // When each message in flight was sent (or scheduled), oldest first. A deque: it holds what is
  // in flight and no more, however large max_in_flight_ is.
  std::deque<clock::time_point> send_times_;
  std::uint64_t next_send_seq_ = 0;
  std::uint64_t next_receive_seq_ = 0;
  std::size_t offset_ = 0;  // into the message being received
  std::vector<char> out_;
  std::vector<char> next_out_;
  bool is_writing_ = false;
  bool is_stopped_ = false;
  std::vector<char> in_;
};

// --churn: connect, send one message, read its echo, close; again until the run ends. Latency
// counts from the start of the connect.
class churn_flow : public std::enable_shared_from_this<churn_flow> {
 public:
  churn_flow(asio::io_context& context, bench_state& state, std::uint32_t id)
      : stream_(context, state.tls, nullptr), state_(state), pattern_(state.options.size, id) {
    pattern_.append(message_, 0);
    echo_.resize(message_.size());
  }

  void start() {
    if (state_.is_stopping) return;
    stream_.reset();
    started_ = clock::now();
    asio::async_connect(stream_.socket(), state_.server,
                        [self = shared_from_this()](const error_code& ec, const tcp::endpoint&) {
                          self->on_connected(ec);
                        });
  }

  void stop() { stream_.close(); }

 private:
  void on_connected(const error_code& ec) {
    if (ec) return fail();
    if (!stream_.is_tls()) return on_ready(ec);
    stream_.async_handshake([self = shared_from_this()](const error_code& handshake_ec) {
      self->on_ready(handshake_ec);
    });
  }

  void on_ready(const error_code& ec) {
    if (ec) return fail();
    asio::async_write(stream_, asio::buffer(message_),
                      [self = shared_from_this()](const error_code& write_ec, std::size_t) {
                        if (write_ec) return self->fail();
                        self->do_read();
                      });
  }

  void do_read() {
    asio::async_read(
        stream_, asio::buffer(echo_),
        [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_echo(ec); });
  }

  void on_echo(const error_code& ec) {
    if (ec) return fail();
    if (echo_ != message_) {
      ++state_.mismatches;
    } else {
      state_.complete(started_, clock::now());
    }
    stop();
    start();
  }

  void fail() {
    if (!state_.is_stopping) ++state_.errors;
    stop();
    start();
  }

  client_stream stream_;
  bench_state& state_;
  message_pattern pattern_;
  std::vector<char> message_;
  std::vector<char> echo_;
  clock::time_point started_;
};

}  // namespace detail

bench::bench(const client_options& options, const logger& log)
    : options_(options),
      log_(log),
      tls_(client_tls::from_options(options)),
      state_(options.bench),
      end_timer_(context_),
      progress_timer_(context_) {}

bench::~bench() = default;

exit_code bench::run() {
  // One ordinary connection first, so that a wrong address or a dead server gets its usual
  // one-line error and exit code rather than a report full of errors.
  std::optional<failure> probe_failure;
  state_.tls = tls_.get();
  connection probe(context_, options_, log_, tls_.get());
  probe.async_connect([&](const std::optional<failure>& f) { probe_failure = f; });
  context_.run();
  if (probe_failure) return report(*probe_failure);
  state_.server = tcp::resolver::results_type::create(probe.socket().remote_endpoint(),
                                                      options_.host, std::to_string(options_.port));
  probe.close();
  context_.restart();

  const bench_options& b = options_.bench;
  state_.started = clock::now();
  state_.measure_from = state_.started + b.warmup;
  state_.measure_until = state_.measure_from + b.duration;
  start_flows();
  end_timer_.expires_at(state_.measure_until);
  end_timer_.async_wait([this](const error_code&) { finish(); });
  if (!b.is_json && ::isatty(STDERR_FILENO) == 1) do_progress();
  context_.run();
  print_report();
  report_fell_behind();
  return state_.errors == 0 && state_.mismatches == 0 ? exit_code::ok : exit_code::failure;
}

void bench::start_flows() {
  const bench_options& b = options_.bench;
  for (std::uint32_t id = 0; id < b.connections; ++id) {
    if (b.is_churn) {
      churns_.push_back(std::make_shared<detail::churn_flow>(context_, state_, id));
      churns_.back()->start();
      continue;
    }
    flows_.push_back(std::make_shared<detail::bench_flow>(
        context_, state_, id, plan_bench_flow(b, options_.timeout, id)));
    flows_.back()->start();
  }
}

void bench::do_progress() {
  progress_timer_.expires_after(std::chrono::seconds(1));
  progress_timer_.async_wait([this](const error_code& ec) {
    if (ec || state_.is_stopping) return;
    const std::uint64_t in_last_second = state_.completed - last_completed_;
    last_completed_ = state_.completed;
    std::fprintf(
        stderr, "\r%s: %llu msg/s, p99 %.1f us, %llu errors   ",
        clock::now() < state_.measure_from ? "warming up" : "measuring",
        static_cast<unsigned long long>(in_last_second),
        std::chrono::duration<double, std::micro>(state_.latencies.percentile(0.99)).count(),
        static_cast<unsigned long long>(state_.errors));
    is_progress_shown_ = true;
    do_progress();
  });
}

void bench::finish() {
  state_.is_stopping = true;
  progress_timer_.cancel();
  for (auto& flow : flows_) flow->stop();
  for (auto& churn : churns_) churn->stop();
}

void bench::print_report() const {
  const bench_options& b = options_.bench;
  const double seconds = std::chrono::duration<double>(b.duration).count();
  const double msgs_per_s = static_cast<double>(state_.completed) / seconds;
  const double mb_per_s = msgs_per_s * static_cast<double>(b.size) / 1e6;
  const auto us = [this](double fraction) {
    return std::chrono::duration<double, std::micro>(state_.latencies.percentile(fraction)).count();
  };
  const double max_us = std::chrono::duration<double, std::micro>(state_.latencies.max()).count();
  if (is_progress_shown_) std::fputc('\n', stderr);
  if (b.is_json) {
    std::printf(
        "{\"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"p50_us\": %.2f, \"p90_us\": %.2f, "
        "\"p99_us\": %.2f, \"p999_us\": %.2f, \"max_us\": %.2f, \"errors\": %llu, "
        "\"mismatches\": %llu, \"fell_behind\": %llu, \"connections\": %zu, \"size\": %zu, "
        "\"depth\": %zu, \"rate\": %.0f, \"churn\": %s, \"duration_s\": %.3f}\n",
        msgs_per_s, mb_per_s, us(0.5), us(0.9), us(0.99), us(0.999), max_us,
        static_cast<unsigned long long>(state_.errors),
        static_cast<unsigned long long>(state_.mismatches),
        static_cast<unsigned long long>(state_.fell_behind), b.connections, b.size, b.depth, b.rate,
        b.is_churn ? "true" : "false", seconds);
    return;
  }
  const std::string loop =
      b.is_churn   ? "a new connection per message"
      : b.rate > 0 ? "open loop at " + std::to_string(static_cast<long long>(b.rate)) + " msgs/s"
                   : "closed loop, depth " + std::to_string(b.depth);
  std::printf("bench %s:%u: %zu connection%s x %zu B, %s, %.1f s measured\n", options_.host.c_str(),
              static_cast<unsigned>(options_.port), b.connections, b.connections == 1 ? "" : "s",
              b.size, loop.c_str(), seconds);
  std::printf("  %s/s   %.0f\n", b.is_churn ? "connections" : "messages", msgs_per_s);
  std::printf("  MB/s         %.2f\n", mb_per_s);
  std::printf("  latency us   p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", us(0.5),
              us(0.9), us(0.99), us(0.999), max_us);
  std::printf("  errors %llu  mismatches %llu\n", static_cast<unsigned long long>(state_.errors),
              static_cast<unsigned long long>(state_.mismatches));
  if (state_.fell_behind > 0) {
    std::printf("  fell behind the schedule and stopped: %llu of %zu connections\n",
                static_cast<unsigned long long>(state_.fell_behind), b.connections);
  }
}

// One line however many connections fell behind: the rate asked for was not what was measured.
void bench::report_fell_behind() const {
  if (state_.fell_behind == 0) return;
  const bench_options& b = options_.bench;
  char late[32];
  std::snprintf(late, sizeof late, "%.3f", std::chrono::duration<double>(state_.behind_by).count());
  report({exit_code::failure, "--rate " + std::to_string(static_cast<long long>(b.rate)) +
                                  " cannot be sustained: " + std::to_string(state_.fell_behind) +
                                  " of " + std::to_string(b.connections) +
                                  " connections fell behind the schedule and stopped (" +
                                  std::to_string(state_.behind_in_flight) +
                                  " messages in flight, the oldest " + late + " s late)"});
}

}  // namespace echo
