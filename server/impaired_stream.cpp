#include "server/impaired_stream.hpp"

#include <boost/asio/buffer.hpp>

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <utility>

namespace echo {

using boost::system::error_code;

namespace {

// With --throttle, a piece is about this much of the rate, so pacing is smooth to the eye of any
// client (100 pieces a second) without a timer per byte.
constexpr auto pacing_step = std::chrono::milliseconds(10);
// A pacing slot missed by less than this (a timer's lateness) is kept, so the rate stays exact;
// a longer pause starts afresh rather than allowing a burst.
constexpr auto pacing_slack = std::chrono::milliseconds(20);
// What the buffer keeps between bursts, as the session's outbox does.
constexpr std::size_t kept_capacity = 16 * 1024;
// The bytes written off the front of the buffer before it is compacted.
constexpr std::size_t compact_after = 64 * 1024;

}  // namespace

impaired_stream::impaired_stream(transport& stream, impairment::reactor_state& state,
                                 stats& counters, std::weak_ptr<void> owner, hooks events,
                                 std::uint64_t written_before)
    : stream_(stream),
      state_(state),
      counters_(counters),
      owner_(std::move(owner)),
      hooks_(std::move(events)),
      timer_(stream.socket().get_executor()),
      stall_timer_(stream.socket().get_executor()),
      written_(written_before) {
  pick_reset();
}

// Drawn once per connection, and again only if the reset settings change.
void impaired_stream::pick_reset() {
  const impairment::settings& s = state_.current();
  if (reset_seen_ && s.reset_after == reset_seen_->first &&
      s.reset_chance_percent == reset_seen_->second) {
    return;
  }
  reset_seen_.emplace(s.reset_after, s.reset_chance_percent);
  reset_at_ = s.reset_after != 0 && state_.chance(s.reset_chance_percent) ? s.reset_after : 0;
}

bool impaired_stream::hold(std::string_view reply) {
  const impairment::settings& s = state_.current();
  pick_reset();
  const clock::time_point now = clock::now();
  const auto delay = state_.delay();
  if (delay.count() != 0) counters_.count(impairment::event::delayed);
  if (s.throttle != 0) counters_.count(impairment::event::throttled);
  if (s.slice != 0 && reply.size() > s.slice) counters_.count(impairment::event::sliced);
  // Never before the reply before it: TCP keeps byte order.
  last_due_ = std::max(now + delay, last_due_);
  bytes_.append(reply.data(), reply.size());
  replies_.push_back({last_due_, reply.size()});
  pump();
  if (held() < held_cap) return true;
  is_blocked_ = true;
  return false;
}

void impaired_stream::when_drained(std::function<void()> then) {
  if (held() == 0 && !is_writing_) return then();
  drained_ = std::move(then);
}

bool impaired_stream::should_stall(std::uint64_t bytes_in) {
  const impairment::settings& s = state_.current();
  if (has_stalled_ || s.stall.count() == 0 || bytes_in < s.stall_after) return false;
  has_stalled_ = true;
  return true;
}

void impaired_stream::stall(std::function<void()> then) {
  counters_.count(impairment::event::stalled);
  stall_timer_.expires_after(state_.current().stall);
  stall_timer_.async_wait(
      [this, self = keep_alive(), then = std::move(then)](const error_code& ec) {
        if (ec || is_cancelled_) return;
        then();
      });
}

void impaired_stream::cancel() {
  is_cancelled_ = true;
  // It may hold the session (a close once drained): dropped, or the two would keep each other.
  drained_ = nullptr;
  timer_.cancel();
  stall_timer_.cancel();
}

// Writes the next piece, or waits for its time; one write or one wait at a time.
void impaired_stream::pump() {
  if (is_writing_ || is_waiting_ || is_cancelled_) return;
  if (replies_.empty()) {
    if (drained_) std::exchange(drained_, {})();
    return;
  }
  const impairment::settings& s = state_.current();
  const held_reply& next = replies_.front();
  const clock::time_point ready = std::max(next.due, next_piece_);
  if (ready > clock::now()) return wait_until(ready);
  std::size_t piece = next.left;
  if (s.slice != 0) piece = std::min<std::uint64_t>(piece, s.slice);
  if (s.throttle != 0) {
    const std::uint64_t step = std::max<std::uint64_t>(1, s.throttle * pacing_step.count() / 1000);
    piece = std::min<std::uint64_t>(piece, step);
  }
  if (reset_at_ != 0) {
    if (written_ >= reset_at_) return do_reset();
    piece = std::min<std::uint64_t>(piece, reset_at_ - written_);
  }
  is_writing_ = true;
  stream_.async_write(
      boost::asio::buffer(bytes_.data() + front_, piece),
      [this, self = keep_alive()](const error_code& ec, std::size_t n) { on_written(ec, n); });
}

void impaired_stream::wait_until(clock::time_point when) {
  is_waiting_ = true;
  timer_.expires_at(when);
  timer_.async_wait([this, self = keep_alive()](const error_code& ec) {
    is_waiting_ = false;
    if (ec || is_cancelled_) return;
    pump();
  });
}

void impaired_stream::on_written(const error_code& ec, std::size_t n) {
  is_writing_ = false;
  if (is_cancelled_) return;
  if (ec) return hooks_.failed(ec);
  hooks_.written(n);
  written_ += n;
  front_ += n;
  if ((replies_.front().left -= n) == 0) replies_.pop_front();
  if (held() == 0) {
    // Nothing held: keep a small buffer for the next reply, not the largest one ever held.
    if (bytes_.capacity() > kept_capacity) std::string().swap(bytes_);
    bytes_.clear();
    front_ = 0;
  } else if (front_ > compact_after && front_ > bytes_.size() / 2) {
    bytes_.erase(0, front_);
    front_ = 0;
  }
  const impairment::settings& s = state_.current();
  const clock::time_point now = clock::now();
  if (s.throttle != 0) {
    const auto cost = std::chrono::duration_cast<clock::duration>(
        std::chrono::duration<double>(static_cast<double>(n) / static_cast<double>(s.throttle)));
    next_piece_ = (next_piece_ + pacing_slack >= now ? next_piece_ : now) + cost;
  }
  if (s.slice != 0 && held() != 0) next_piece_ = std::max(next_piece_, now + s.slice_gap);
  if (reset_at_ != 0 && written_ >= reset_at_) return do_reset();
  if (is_blocked_ && held() < held_cap) {
    is_blocked_ = false;
    hooks_.room();
    if (is_cancelled_) return;
  }
  pump();
}

// Every byte up to the reset is written: once the client has them all, the session resets.
void impaired_stream::do_reset() {
  is_waiting_ = true;
  counters_.count(impairment::event::reset);
  check_sent_queue(clock::now() + reset_wait);
}

void impaired_stream::check_sent_queue(clock::time_point give_up) {
  int unacknowledged = 0;
  if (::ioctl(stream_.socket().native_handle(), SIOCOUTQ, &unacknowledged) != 0 ||
      unacknowledged <= 0 || clock::now() >= give_up) {
    return hooks_.reset();
  }
  timer_.expires_after(std::chrono::milliseconds(1));
  timer_.async_wait([this, self = keep_alive(), give_up](const error_code& ec) {
    if (ec || is_cancelled_) return;
    check_sent_queue(give_up);
  });
}

}  // namespace echo
