#pragma once
// The UDP side of the impairment stage: between udp_echo's replies and its sendmmsg. One per
// udp_echo (so one per reactor), used only on the reactor's thread. udp_echo hands it each batch
// of replies only while the reactor's impairment_state is active (one test per batch); then, per
// reply in arrival order:
//
//   --loss      dropped with loss %, counted as the event `dropped` (not a udp_drop: on purpose)
//   --delay     due at arrival + delay + U(0..jitter), so replies may reorder under jitter
//   --throttle  due no earlier than its source's (address and port) next free time, which then
//               moves by size / rate: each source gets RATE bytes/s, paced one reply at a time
//
// A reply due now stays in the batch; a later one is copied into the held queue: at most
// max_held replies and max_held_bytes of payload, ordered by due time, with ONE timer for the
// earliest. When it fires, the due replies go to `send` in batches. A reply the queue cannot take
// is dropped and counted as udp_drop::impairment_queue_full. Settings may change at run time; a
// held reply keeps its due time.
//
// Memory is bounded and, in steady state, allocated once: payload buffers come in power-of-two
// sizes and go back to a free list per size when sent; the source table has a fixed size
// (source_slots, 4-way: a new source replaces the one whose pacing ended first).

#include "server/impairment.hpp"
#include "server/stats.hpp"

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace echo {

class udp_impairment {
 public:
  using clock = std::chrono::steady_clock;
  // Sends `count` replies (udp_echo's sendmmsg path); the messages live until it returns.
  using sender = std::function<void(mmsghdr* messages, std::size_t count)>;

  static constexpr std::size_t max_held = 4096;
  static constexpr std::size_t max_held_bytes = 8 * 1024 * 1024;
  static constexpr std::size_t source_slots = 4096;
  // Replies per send when the timer fires (as udp_echo's batch).
  static constexpr std::size_t send_batch = 64;

  udp_impairment(boost::asio::io_context& context, impairment::reactor_state& state,
                 stats& counters, sender send);
  ~udp_impairment();
  udp_impairment(const udp_impairment&) = delete;
  udp_impairment& operator=(const udp_impairment&) = delete;

  // Whether the batches must go through filter(): settings on, read once per batch.
  bool is_active() const { return state_.is_active(); }

  // Takes the replies of one batch, out[0..count) in arrival order, arrived at `now`: drops
  // some, holds some (copying their bytes and address), and moves those due now to the front of
  // `out`, in order. Returns how many are there to send now.
  std::size_t filter(mmsghdr* out, std::size_t count, clock::time_point now);

  // Held replies and their bytes now.
  std::size_t held() const { return queue_.size(); }
  std::size_t held_bytes() const { return held_bytes_; }

  // Drops every held reply and cancels the timer (udp_echo::close). Idempotent.
  void close();

 private:
  struct held_reply {
    clock::time_point due;
    std::uint64_t order;  // arrival order: replies due at the same time leave in it
    char* data;
    std::size_t size;
    std::size_t size_class;
    sockaddr_storage to;
    socklen_t to_size;
  };
  // The heap's order: the earliest due (then the first arrived) on top.
  struct later {
    bool operator()(const held_reply& a, const held_reply& b) const {
      return a.due != b.due ? a.due > b.due : a.order > b.order;
    }
  };
  struct source {
    std::array<unsigned char, 16> address{};
    std::uint16_t port = 0;
    sa_family_t family = AF_UNSPEC;
    clock::time_point next_free{};
  };

  // The replies' due time under --throttle, and the source's next free time moved past it.
  clock::time_point pace(const sockaddr_storage& from, std::size_t size, clock::time_point due);
  bool hold(const mmsghdr& reply, clock::time_point due);
  // A buffer of at least `size` bytes, or nullptr when the budget is spent.
  char* take_buffer(std::size_t size_class);
  void give_back(char* data, std::size_t size_class);
  void release_idle_buffers();
  void do_wait();
  void on_timer();
  void send_due(clock::time_point now);

  impairment::reactor_state& state_;
  stats& counters_;
  sender send_;
  std::vector<held_reply> queue_;  // a heap (later), reserved to max_held at the first hold
  std::size_t held_bytes_ = 0;
  std::uint64_t next_order_ = 0;
  // Free buffers of 64 << i bytes, each list threaded through the buffers' first bytes.
  static constexpr std::size_t size_classes = 11;  // 64 B .. 64 KiB
  std::array<char*, size_classes> free_{};
  std::size_t buffer_bytes_ = 0;  // every buffer's size, held or free: at most 2 x max_held_bytes
  std::vector<source> sources_;   // source_slots, allocated at the first throttled reply
  std::array<held_reply, send_batch> sending_{};
  std::array<iovec, send_batch> sending_iov_{};
  std::array<mmsghdr, send_batch> sending_msg_{};
  boost::asio::steady_timer timer_;
  clock::time_point armed_for_ = clock::time_point::max();  // the timer's expiry, max: unarmed
  bool is_closed_ = false;
};

}  // namespace echo
