#pragma once
// What one UDP bench socket knows about its path: which datagrams are in flight, and over the
// ones that count (sent inside the measurement window) how many were sent, answered, lost,
// reordered and duplicated, and the RFC 3550 interarrival jitter. Plain accounting, no sockets or
// clocks of its own (the caller passes the times), so it is unit tested with made-up sequences.
// Owned by one udp_bench_flow.
//
// Datagram n (numbered from 0, in send order) lives in slot n % window until it is resolved:
// answered, or lost once `deadline` has passed since its send (expire()). A slot still pending
// cannot take a new datagram (can_send() is false). A reply is:
//   fresh      the first for a pending datagram; reordered if a higher number was answered first
//   duplicate  another for an answered datagram
//   late       for a datagram already counted lost, or older than the window: ignored
//   unknown    a number never sent: the caller counts a mismatch
// Jitter (RFC 3550 section 6.4.1, A.8): for consecutive fresh replies i-1 and i, in arrival
// order, D = (R_i - R_(i-1)) - (S_i - S_(i-1)) and J += (|D| - J) / 16.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace echo {

class udp_path_stats {
 public:
  using clock = std::chrono::steady_clock;
  enum class reply_kind { fresh, duplicate, late, unknown };
  struct reply {
    reply_kind kind;
    clock::time_point sent;  // fresh, duplicate: when the datagram was sent (or scheduled)
    bool is_counted;         // sent inside the measurement window
  };

  // window: the slots, rounded up to a power of two (at least 2).
  explicit udp_path_stats(std::size_t window);

  std::size_t window() const { return slots_.size(); }
  std::uint64_t next_seq() const { return next_seq_; }
  bool can_send() const;
  // Numbers the next datagram and takes its slot; returns its number. Precondition: can_send().
  std::uint64_t on_sent(clock::time_point sent, bool is_counted);
  // When datagram `seq` was sent, while it is tracked (pending or resolved, within the window).
  std::optional<clock::time_point> sent_at(std::uint64_t seq) const;
  reply on_reply(std::uint64_t seq, clock::time_point arrived);
  // Resolves as lost every pending datagram sent at or before now - deadline; returns how many.
  std::size_t expire(clock::time_point now, clock::duration deadline);

  std::size_t in_flight() const { return in_flight_; }
  // Over the counted datagrams; once none is in flight, sent == received + lost.
  std::uint64_t sent() const { return sent_; }
  std::uint64_t received() const { return received_; }
  std::uint64_t lost() const { return lost_; }
  std::uint64_t reordered() const { return reordered_; }
  std::uint64_t duplicated() const { return duplicated_; }
  std::uint64_t late() const { return late_; }
  // The interarrival jitter so far, in nanoseconds; 0 before two counted replies.
  double jitter_ns() const { return jitter_ns_; }
  std::uint64_t jitter_samples() const { return jitter_samples_; }

 private:
  enum class state : std::uint8_t { free, pending, answered, lost };
  struct slot {
    std::uint64_t seq = 0;
    clock::time_point sent;
    state status = state::free;
    bool is_counted = false;
  };

  slot& slot_of(std::uint64_t seq) { return slots_[seq & mask_]; }
  const slot& slot_of(std::uint64_t seq) const { return slots_[seq & mask_]; }
  bool is_tracked(std::uint64_t seq) const;
  void add_jitter_sample(clock::duration transit);

  std::vector<slot> slots_;
  std::uint64_t mask_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t oldest_ = 0;  // no datagram below it is pending
  std::size_t in_flight_ = 0;
  std::optional<std::uint64_t> highest_answered_;
  std::optional<clock::duration> last_transit_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t lost_ = 0;
  std::uint64_t reordered_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t late_ = 0;
  double jitter_ns_ = 0;
  std::uint64_t jitter_samples_ = 0;
};

}  // namespace echo
