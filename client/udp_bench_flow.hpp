#pragma once
// One socket of a UDP bench run: closed loop (keep --depth datagrams in flight; one unanswered
// within the loss deadline counts lost and its place goes to a new one) or open loop (send on its
// bench_flow_plan schedule, each datagram stamped with its scheduled time). Each datagram holds
// its sequence number and send time (udp_bench_header_size bytes, little-endian), then the flow's
// body pattern; every reply is checked whole against what was sent, a difference counted as a
// mismatch. Sends go out in sendmmsg batches; the socket is non-blocking and waited on by the
// io_context (async_wait), then drained with recvmmsg: buffers allocated once, nothing per
// datagram. Made and owned by udp_bench, which calls start(), then stop_sending() when the
// window ends and close() once is_idle() (or the loss deadline passed); the bench_state outlives
// it. Open loop: a datagram coming due while its slot is still pending stops the flow and counts
// in bench_state::fell_behind.

#include "client/bench_plan.hpp"
#include "client/bench_state.hpp"
#include "client/udp_path_stats.hpp"
#include "client/udp_socket.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <vector>

namespace echo {

class udp_bench_flow {
 public:
  using clock = bench_state::clock;

  udp_bench_flow(boost::asio::io_context& context, bench_state& state, const udp_target& target,
                 std::uint32_t id, const bench_flow_plan& plan, clock::duration loss_deadline);

  void start();
  void stop_sending();
  void close();
  // Nothing in flight (or closed): the flow's figures are final.
  bool is_idle() const { return is_closed_ || stats_.in_flight() == 0; }
  const udp_path_stats& stats() const { return stats_; }

 private:
  void do_wait_read();
  void on_readable(const boost::system::error_code& ec);
  void take_reply(const char* data, std::size_t length, bool is_truncated, clock::time_point now);
  void pump();
  void fill(clock::time_point now);
  void put(std::size_t index, clock::time_point sent);
  void on_writable(const boost::system::error_code& ec);
  void do_tick();
  void on_tick(const boost::system::error_code& ec);
  void do_pace();
  void fall_behind(clock::time_point due);

  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer pacer_;
  boost::asio::steady_timer ticker_;
  bench_state& state_;
  const udp_target& target_;
  std::size_t source_index_;  // which --source address, round-robin by flow
  clock::duration interval_;  // open loop; zero: closed loop
  clock::time_point next_due_;
  clock::duration loss_deadline_;
  clock::duration tick_;
  udp_path_stats stats_;
  std::vector<char> body_;  // what every datagram holds after its header
  udp_batch out_;
  udp_batch in_;
  std::size_t out_count_ = 0;  // datagrams in out_ ready to send
  std::size_t out_sent_ = 0;   // of those, sent
  bool is_waiting_write_ = false;
  bool is_stopping_ = false;
  bool is_closed_ = false;
};

}  // namespace echo
