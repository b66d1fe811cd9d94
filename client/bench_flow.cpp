#include "client/bench_flow.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>

namespace echo {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

bench_flow::bench_flow(asio::io_context& context, bench_state& state, std::uint32_t id,
                       const bench_flow_plan& plan)
    : stream_(context, state.tls, nullptr),
      pacer_(context),
      state_(state),
      pattern_(state.options.size, id),
      interval_(plan.interval),
      next_due_(state.started + plan.offset),
      max_in_flight_(plan.max_in_flight),
      in_(plan.read_buffer),
      id_(id) {}

void bench_flow::start() {
  if (!state_.sources.empty()) {
    const error_code ec = bind_source(stream_.socket(), state_.sources.at(id_));
    if (ec)
      return asio::post(stream_.get_executor(), [self = shared_from_this()] { self->fail(); });
  }
  stream_.socket().async_connect(
      state_.server.begin()->endpoint(),
      [self = shared_from_this()](const error_code& ec) { self->on_connected(ec); });
}

void bench_flow::stop() {
  is_stopped_ = true;
  stream_.close();
  pacer_.cancel();
}

void bench_flow::on_connected(const error_code& ec) {
  if (ec) return fail();
  error_code ignored;
  stream_.socket().set_option(tcp::no_delay(true), ignored);
  stream_.socket().non_blocking(true, ignored);  // for flush's write at once
  if (!stream_.is_tls()) return on_ready(ec);
  stream_.async_handshake([self = shared_from_this()](const error_code& handshake_ec) {
    self->on_ready(handshake_ec);
  });
}

// Connected, and with TLS the handshake done. Closed loop: the flow's clock starts with its
// first message. Open loop: the schedule began with the run, and messages that came due while
// connecting go at once, their latency counted from when they were due.
void bench_flow::on_ready(const error_code& ec) {
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
bool bench_flow::queue(std::size_t count, clock::time_point when) {
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
void bench_flow::fall_behind(clock::time_point due) {
  if (state_.fell_behind++ == 0) {
    state_.behind_in_flight = send_times_.size();
    state_.behind_by = due - send_times_.front();
  }
  ++state_.errors;
  stop();
}

// Plain TCP writes what the socket takes now at once (it is non-blocking), as load_gen does, and
// only a rest through async_write: an Asio write per message completes through the reactor's
// queue, and with a hundred flows writing in one turn their operations outrun Asio's handler
// cache and each one allocates.
void bench_flow::flush() {
  if (is_writing_ || next_out_.empty()) return;
  out_.swap(next_out_);
  next_out_.clear();
  std::size_t written = 0;
  if (!stream_.is_tls()) {
    error_code ec;
    written = stream_.socket().write_some(asio::buffer(out_), ec);
    if (ec == asio::error::would_block) {
      written = 0;
    } else if (ec) {
      return fail();
    }
    if (written == out_.size()) return;
  }
  is_writing_ = true;
  asio::async_write(
      stream_, asio::buffer(out_) + written,
      [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_written(ec); });
}

void bench_flow::on_written(const error_code& ec) {
  is_writing_ = false;
  if (ec) return fail();
  flush();
}

void bench_flow::do_read() {
  stream_.async_read_some(
      asio::buffer(in_),
      [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
}

void bench_flow::on_read(const error_code& ec, std::size_t n) {
  if (ec) return fail();
  const clock::time_point now = clock::now();
  const std::optional<std::size_t> echoed = take_echoes(n, now);
  if (!echoed) {
    ++state_.mismatches;
    return stop();
  }
  if (interval_ == clock::duration::zero() && !state_.is_stopping) queue(*echoed, now);
  flush();
  // Not now: the server cannot have answered yet (client/next_turn).
  state_.reads_due.add(stream_.get_executor(), shared_from_this());
}

void bench_flow::on_next_turn() {
  if (!is_stopped_) do_read();
}

// Checks the `n` bytes read against the messages in flight and counts each one now echoed
// whole. Returns how many were, or nothing at the first byte that is not what was sent.
std::optional<std::size_t> bench_flow::take_echoes(std::size_t n, clock::time_point now) {
  std::size_t echoed = 0;
  const char* data = in_.data();
  while (n > 0) {
    const std::size_t take = std::min(n, pattern_.size() - offset_);
    if (send_times_.empty() || !pattern_.matches(next_receive_seq_, offset_, data, take)) {
      return std::nullopt;
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
  return echoed;
}

void bench_flow::on_pace(const error_code& ec) {
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

void bench_flow::fail() {
  if (is_stopped_) return;
  if (!state_.is_stopping) ++state_.errors;
  stop();
}

}  // namespace echo
