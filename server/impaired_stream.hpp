#pragma once
// The TCP (and TLS) side of the impairment stage: replies on their way from the reply policy to
// the transport, held, paced, sliced or cut short by a reset on purpose (what each setting means:
// server/impairment_settings). Made by a session the first time it replies while an impairment
// is on, and used for every reply while it holds any, so that order is kept when the settings
// change. A member of its session; reactor thread only.
//
//   hold(reply)  copies the reply, due at now + delay + jitter (never before the one before it),
//                and says whether the session may read on: it may while less than held_cap is
//                held, so a slow drain stops reading exactly as a slow reader does.
//   pump         one write at a time through the transport, each a piece of at most --slice bytes
//                and, with --throttle, about 10 ms of the rate; one timer waits for the next due
//                time, slice gap or pacing slot.
//   reset        with --reset-after (for --reset-chance of connections, drawn once), the stream
//                writes exactly that many bytes in all, waits until the client has them (the
//                socket's send queue is empty, at most reset_wait), and hands over to the session,
//                which closes with SO_LINGER 0: a RST.
//   stall        once per connection, after --stall-after bytes in, the session's next read waits
//                --stall.

#include "server/impairment.hpp"
#include "server/socket.hpp"
#include "server/stats.hpp"
#include "server/transport.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace echo {

class impaired_stream {
 public:
  // Replies held at most per connection before the session stops reading.
  static constexpr std::size_t held_cap = 256 * 1024;
  // How long a reset waits for the client to have every byte before it: a bound, not a delay.
  static constexpr std::chrono::seconds reset_wait{1};

  struct hooks {
    std::function<void()> room;                                    // below held_cap again
    std::function<void(std::size_t)> written;                      // bytes the transport took
    std::function<void(const boost::system::error_code&)> failed;  // a write failed
    std::function<void()> reset;  // the reset is due: close with SO_LINGER 0
  };

  // `owner`: the session, kept alive by each pending operation. `written_before`: the bytes the
  // connection echoed before the stage took over (they count towards --reset-after).
  impaired_stream(transport& stream, impairment::reactor_state& state, stats& counters,
                  std::weak_ptr<void> owner, hooks events, std::uint64_t written_before);
  impaired_stream(const impaired_stream&) = delete;
  impaired_stream& operator=(const impaired_stream&) = delete;

  // Takes a copy of `reply`. False: held_cap is reached, and hooks.room is called once it is not.
  bool hold(std::string_view reply);
  bool is_empty() const { return held() == 0; }
  // Calls `then` once everything held is written (at once if nothing is).
  void when_drained(std::function<void()> then);

  // True once per connection, when --stall is on and `bytes_in` reached --stall-after; then
  // stall(then) calls `then` after --stall.
  bool should_stall(std::uint64_t bytes_in);
  void stall(std::function<void()> then);

  // The session is closing: no more writes or waits.
  void cancel();

 private:
  using clock = std::chrono::steady_clock;
  struct held_reply {
    clock::time_point due;
    std::size_t left;  // its bytes not yet written, at the front of bytes_
  };

  void pick_reset();
  void pump();
  void wait_until(clock::time_point when);
  void on_written(const boost::system::error_code& ec, std::size_t n);
  void do_reset();
  void check_sent_queue(clock::time_point give_up);
  std::shared_ptr<void> keep_alive() const { return owner_.lock(); }
  // Bytes held: written off the front as they leave.
  std::size_t held() const { return bytes_.size() - front_; }

  transport& stream_;
  impairment::reactor_state& state_;
  stats& counters_;
  std::weak_ptr<void> owner_;
  hooks hooks_;
  steady_timer timer_;        // the next due time, gap or pacing slot; the reset's wait
  steady_timer stall_timer_;  // the stall, which runs alongside the writes
  std::string bytes_;         // held replies, back to back, from bytes_[front_]
  std::size_t front_ = 0;
  std::deque<held_reply> replies_;
  clock::time_point last_due_{};
  clock::time_point next_piece_{};  // not before: the slice gap and the throttle's pacing
  bool is_writing_ = false;
  bool is_waiting_ = false;
  bool is_blocked_ = false;  // hold returned false; hooks_.room is owed
  bool is_cancelled_ = false;
  bool has_stalled_ = false;
  std::uint64_t written_;
  std::uint64_t reset_at_ = 0;                                  // 0: this connection is not reset
  std::optional<std::pair<std::uint64_t, double>> reset_seen_;  // what reset_at_ was drawn for
  std::function<void()> drained_;
};

}  // namespace echo
