#include "client/udp_bench_flow.hpp"

#include <algorithm>
#include <cstring>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Bytes in a batch, and datagrams: enough to amortise a system call, little memory per socket.
constexpr std::size_t batch_bytes = 256 * 1024;
constexpr std::size_t max_batch = 64;
// Closed loop: slots beyond --depth, so that a datagram awaiting its loss deadline holds up its
// own slot only, not the flow, until this many more have gone.
constexpr std::size_t min_closed_loop_window = 4096;
constexpr std::size_t max_window = std::size_t{1} << 20;

std::size_t batch_size(std::size_t datagram) {
  return std::clamp<std::size_t>(batch_bytes / datagram, 1, max_batch);
}

void put_u64(char* at, std::uint64_t value) {
  for (std::size_t k = 0; k < 8; ++k) at[k] = static_cast<char>((value >> (8 * k)) & 0xFF);
}

std::uint64_t get_u64(const char* at) {
  std::uint64_t value = 0;
  for (std::size_t k = 0; k < 8; ++k) {
    value |= std::uint64_t{static_cast<unsigned char>(at[k])} << (8 * k);
  }
  return value;
}

// Open loop: the datagrams scheduled within twice the loss deadline; closed loop: see above.
std::size_t window_of(const bench_options& b, const bench_flow_plan& plan,
                      bench_state::clock::duration loss_deadline) {
  if (plan.interval == bench_state::clock::duration::zero()) {
    return std::max(min_closed_loop_window, 4 * b.depth);
  }
  const auto per_deadline = static_cast<std::size_t>(loss_deadline / plan.interval) + 1;
  return std::clamp<std::size_t>(2 * per_deadline, 64, max_window);
}

}  // namespace

udp_bench_flow::udp_bench_flow(asio::io_context& context, bench_state& state,
                               const udp_target& target, std::uint32_t id,
                               const bench_flow_plan& plan, clock::duration loss_deadline)
    : socket_(context),
      pacer_(context),
      ticker_(context),
      state_(state),
      target_(target),
      source_index_(id),
      interval_(plan.interval),
      next_due_(state.started + plan.offset),
      loss_deadline_(loss_deadline),
      // Often enough that a lost datagram's slot is free soon after its deadline.
      tick_(std::clamp<clock::duration>(loss_deadline / 8, std::chrono::milliseconds(1),
                                        std::chrono::milliseconds(100))),
      stats_(window_of(state.options, plan, loss_deadline)),
      body_(state.options.size),
      out_(batch_size(state.options.size), state.options.size),
      in_(batch_size(state.options.size), state.options.size) {
  for (std::size_t k = 0; k < body_.size(); ++k) {
    body_[k] = static_cast<char>((id * 7 + k * 13) & 0xFF);
  }
}

void udp_bench_flow::start() {
  if (connect_udp(socket_, target_, state_.sources, source_index_)) {
    ++state_.errors;
    is_closed_ = true;
    return;
  }
  do_wait_read();
  do_tick();
  if (interval_ == clock::duration::zero()) return pump();
  do_pace();
}

void udp_bench_flow::stop_sending() {
  is_stopping_ = true;
  pacer_.cancel();
}

void udp_bench_flow::close() {
  is_closed_ = true;
  error_code ignored;
  socket_.close(ignored);
  pacer_.cancel();
  ticker_.cancel();
}

void udp_bench_flow::do_wait_read() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [this](const error_code& ec) { on_readable(ec); });
}

// Drains what is waiting, a batch per call, so a flood cannot keep this flow from yielding to
// the others for long: at most a few batches per wake-up.
void udp_bench_flow::on_readable(const error_code& ec) {
  if (is_closed_) return;
  if (ec) {
    ++state_.errors;
    return;
  }
  for (int round = 0; round < 4; ++round) {
    error_code receive_ec;
    const std::size_t n = in_.receive(socket_.native_handle(), receive_ec);
    if (receive_ec == asio::error::would_block || receive_ec == asio::error::try_again) break;
    // A port unreachable (the server went away) is one error; the datagrams then time out.
    if (receive_ec) {
      if (!state_.is_stopping) ++state_.errors;
      break;
    }
    const clock::time_point now = clock::now();
    // A reply after its datagram's deadline is late, even if no tick has expired it yet.
    stats_.expire(now, loss_deadline_);
    for (std::size_t i = 0; i < n; ++i) {
      take_reply(in_.data(i), in_.length(i), in_.is_truncated(i), now);
    }
    if (n < in_.capacity()) break;
  }
  if (interval_ == clock::duration::zero()) pump();
  do_wait_read();
}

void udp_bench_flow::take_reply(const char* data, std::size_t length, bool is_truncated,
                                clock::time_point now) {
  const std::size_t size = body_.size();
  const std::uint64_t seq = length >= udp_bench_header_size ? get_u64(data) : 0;
  const auto sent = stats_.sent_at(seq);
  const bool is_intact =
      !is_truncated && length == size && sent &&
      get_u64(data + 8) == static_cast<std::uint64_t>((*sent - state_.started).count()) &&
      std::memcmp(data + udp_bench_header_size, body_.data() + udp_bench_header_size,
                  size - udp_bench_header_size) == 0;
  if (!is_intact) {
    ++state_.mismatches;
    return;
  }
  const udp_path_stats::reply r = stats_.on_reply(seq, now);
  if (r.kind != udp_path_stats::reply_kind::fresh || !r.is_counted) return;
  state_.count(now - r.sent);
}

// Sends what fill() prepares, batch after batch, until nothing more may go or the socket's send
// buffer is full (then the rest waits for writability).
void udp_bench_flow::pump() {
  while (!is_waiting_write_ && !is_closed_) {
    if (out_sent_ == out_count_) {
      out_sent_ = out_count_ = 0;
      fill(clock::now());
      if (out_count_ == 0) return;
    }
    error_code ec;
    out_sent_ += out_.send(socket_.native_handle(), out_sent_, out_count_, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      is_waiting_write_ = true;
      socket_.async_wait(asio::socket_base::wait_write,
                         [this](const error_code& wait_ec) { on_writable(wait_ec); });
      return;
    }
    if (ec) {
      // Those datagrams are gone: their slots resolve as lost at the deadline.
      if (!state_.is_stopping) ++state_.errors;
      out_sent_ = out_count_;
    }
  }
}

void udp_bench_flow::on_writable(const error_code& ec) {
  is_waiting_write_ = false;
  if (is_closed_) return;
  if (ec) ++state_.errors;
  pump();
}

// Closed loop: as many as --depth allows; open loop: every datagram now due.
void udp_bench_flow::fill(clock::time_point now) {
  const bool is_closed_loop = interval_ == clock::duration::zero();
  while (out_count_ < out_.capacity() && !is_stopping_) {
    if (is_closed_loop) {
      if (stats_.in_flight() >= state_.options.depth || !stats_.can_send()) return;
      put(out_count_++, now);
      continue;
    }
    if (next_due_ > now) return;
    if (!stats_.can_send()) return fall_behind(next_due_);
    put(out_count_++, next_due_);
    next_due_ += interval_;
  }
}

void udp_bench_flow::put(std::size_t index, clock::time_point sent) {
  char* at = out_.data(index);
  std::memcpy(at, body_.data(), body_.size());
  put_u64(at, stats_.on_sent(sent, state_.is_measuring(sent)));
  put_u64(at + 8, static_cast<std::uint64_t>((sent - state_.started).count()));
  out_.set_length(index, body_.size());
}

void udp_bench_flow::do_tick() {
  ticker_.expires_after(tick_);
  ticker_.async_wait([this](const error_code& ec) { on_tick(ec); });
}

void udp_bench_flow::on_tick(const error_code& ec) {
  if (ec || is_closed_) return;
  stats_.expire(clock::now(), loss_deadline_);
  if (interval_ == clock::duration::zero()) pump();
  do_tick();
}

void udp_bench_flow::do_pace() {
  if (is_stopping_ || is_closed_) return;
  stats_.expire(clock::now(), loss_deadline_);
  pump();
  pacer_.expires_at(next_due_);
  pacer_.async_wait([this](const error_code& ec) {
    if (!ec) do_pace();
  });
}

// Counted once, however far behind the schedule runs from here: the flow sends no more.
void udp_bench_flow::fall_behind(clock::time_point due) {
  if (state_.fell_behind++ == 0) {
    state_.behind_in_flight = stats_.in_flight();
    state_.behind_by = clock::now() - due;
  }
  ++state_.errors;
  stop_sending();
}

}  // namespace echo
