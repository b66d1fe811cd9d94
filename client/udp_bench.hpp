#pragma once
// --bench --udp: load an echo server's UDP side and measure the path. --connections sockets, each
// a udp_bench_flow, closed loop (--depth datagrams in flight) or open loop (--rate datagrams/s in
// all, on a fixed schedule). One datagram first, so that a dead server gets its one line and exit
// code (3: port unreachable, 5: no reply within --timeout) rather than a report of losses. Then
// the flows run for --warmup plus --duration; datagrams sent in the measured window count, and
// once it ends the flows send no more and the run waits (at most the loss deadline) until each of
// those is answered or lost, so that sent = received + lost exactly. Reports sent, received, lost,
// reordered, duplicated, latency percentiles and RFC 3550 jitter, as text or (--json) one object
// with the TCP bench's fields and those; a progress line each second on a terminal, or with
// --json-stream a JSON line. --threads: the sockets shared among reactors (bench_threads), each
// draining its own. Exit 1 on errors or mismatches; loss alone is a measurement, not a failure.
// Created by main.

#include "client/bench_state.hpp"
#include "client/bench_threads.hpp"
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
  // One reactor's sockets, and its timer for the window's end and then the drain.
  struct reactor_flows {
    std::vector<std::unique_ptr<udp_bench_flow>> flows;
    std::unique_ptr<boost::asio::steady_timer> end_timer;
  };

  std::optional<failure> probe();
  void start_flows(boost::asio::io_context& context, bench_state& state, bench_share share,
                   reactor_flows& mine);
  void do_drain(bench_state& state, reactor_flows& mine);
  void print_report(const bench_state& state, double cpu_us) const;

  const client_options& options_;
  const logger& log_;
  udp_target target_;
  std::chrono::steady_clock::duration loss_deadline_;
  boost::asio::io_context context_{1};  // the probe's
  std::unique_ptr<bench_threads> threads_;
  std::vector<reactor_flows> reactors_;  // below threads_: each goes before its io_context
};

}  // namespace echo
