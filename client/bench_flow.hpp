#pragma once
// One long-lived bench connection: closed loop (keep options.depth messages in flight) or open
// loop (send on its bench_flow_plan schedule, one message every plan.interval from plan.offset
// after the run's start). Every echoed byte is checked against its message_pattern. Made by
// bench_load, which calls start() once and stop() when the run ends; it owns itself through its
// pending handlers and adds to the bench_state, which must outlive it.
// Over TLS it handshakes before it sends; a failed connect or handshake counts one error. Open
// loop: a message coming due with plan.max_in_flight in flight stops the flow and counts it in
// bench_state::fell_behind.

#include "client/bench_plan.hpp"
#include "client/bench_state.hpp"
#include "client/client_stream.hpp"
#include "client/message_pattern.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace echo {

class bench_flow : public std::enable_shared_from_this<bench_flow> {
 public:
  using clock = bench_state::clock;

  bench_flow(boost::asio::io_context& context, bench_state& state, std::uint32_t id,
             const bench_flow_plan& plan);

  void start();
  // Ends the flow; the completions still pending count no error.
  void stop();
  // Starts the next read (client/next_turn).
  void on_next_turn();

 private:
  void on_connected(const boost::system::error_code& ec);
  void on_ready(const boost::system::error_code& ec);
  bool queue(std::size_t count, clock::time_point when);
  void fall_behind(clock::time_point due);
  void flush();
  void on_written(const boost::system::error_code& ec);
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  std::optional<std::size_t> take_echoes(std::size_t n, clock::time_point now);
  void on_pace(const boost::system::error_code& ec);
  void fail();

  client_stream stream_;
  boost::asio::steady_timer pacer_;
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
  std::uint32_t id_;  // which --source address, when there are some
};

}  // namespace echo
