#pragma once
// --bench --udp: load an echo server's UDP side and measure the path. --connections sockets, each
// a udp_bench_flow, closed loop (--depth datagrams in flight) or open loop (--rate datagrams/s in
// all, on a fixed schedule). One datagram first, so that a dead server gets its one line and exit
// code (3: port unreachable, 5: no reply within --timeout) rather than a report of losses. Then
// the flows run for --warmup plus --duration; datagrams sent in the measured window count, and
// once it ends the flows send no more and the run waits (at most the loss deadline) until each of
// those is answered or lost, so that sent = received + lost exactly. Reports sent, received, lost,
// reordered, duplicated, latency percentiles and RFC 3550 jitter, as text or (--json) one object
// with the TCP bench's fields and those; a progress line each second on a terminal. Exit 1 on
// errors or mismatches; loss alone is a measurement, not a failure. Created by main.

#include "client/bench_state.hpp"
#include "client/client_options.hpp"
#include "client/udp_bench_flow.hpp"
#include "client/udp_socket.hpp"
#include "common/errors.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace echo {

class udp_bench {
 public:
  udp_bench(const client_options& options, const logger& log);
  exit_code run();

 private:
  std::optional<failure> probe();
  void start_flows();
  void on_window_end();
  void do_drain();
  void do_progress();
  void on_progress(const boost::system::error_code& ec);
  void print_report() const;

  const client_options& options_;
  const logger& log_;
  udp_target target_;
  std::chrono::steady_clock::duration loss_deadline_;
  bench_state state_;
  boost::asio::io_context context_{1};
  boost::asio::steady_timer end_timer_;
  boost::asio::steady_timer progress_timer_;
  std::vector<std::unique_ptr<udp_bench_flow>> flows_;
  std::uint64_t last_completed_ = 0;
  bool is_progress_shown_ = false;
};

}  // namespace echo
