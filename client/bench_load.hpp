#pragma once
// The connections one bench run asks for: state.options.connections flows (or, with --threads,
// one reactor's share of them), each a churn_flow (--churn) or a bench_flow following its
// bench_plan (closed loop, or open loop with --rate). Made by bench (and bench/soak_load) on its
// io_context with a bench_state whose `tls` and `server` are set and which outlives it. start()
// once: it opens the measurement window (warmup, then duration) and starts every flow, or
// start_in_window() when bench_threads opened it; stop() when the window ends: no flow starts
// anything more, and what is still pending completes without counting an error.

#include "client/bench_flow.hpp"
#include "client/bench_state.hpp"
#include "client/bench_threads.hpp"
#include "client/churn_flow.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace echo {

class bench_load {
 public:
  // timeout: --timeout, which bounds an open-loop flow's messages in flight (see bench_plan).
  // share: the connections to make, by their ids in the whole run (whose plans they follow, so
  // that the open-loop schedules of all the reactors interleave as one); default all of them.
  bench_load(boost::asio::io_context& context, bench_state& state,
             std::chrono::milliseconds timeout, std::optional<bench_share> share = std::nullopt);

  void start();
  void start_in_window();
  void stop();

 private:
  boost::asio::io_context& context_;
  bench_state& state_;
  std::chrono::milliseconds timeout_;
  bench_share share_;
  std::vector<std::shared_ptr<bench_flow>> flows_;
  std::vector<std::shared_ptr<churn_flow>> churns_;
};

}  // namespace echo
