#pragma once
// The connections one bench run asks for: state.options.connections flows, each a churn_flow
// (--churn) or a bench_flow following its bench_plan (closed loop, or open loop with --rate).
// Made by bench (and bench/soak_load) on its io_context with a bench_state whose `tls` and
// `server` are set and which outlives it. start() once: it opens the measurement window (warmup,
// then duration) and starts every flow; stop() when the window ends: no flow starts anything
// more, and what is still pending completes without counting an error.

#include "client/bench_flow.hpp"
#include "client/bench_state.hpp"
#include "client/churn_flow.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace echo {

class bench_load {
 public:
  // timeout: --timeout, which bounds an open-loop flow's messages in flight (see bench_plan).
  bench_load(boost::asio::io_context& context, bench_state& state,
             std::chrono::milliseconds timeout);

  void start();
  void stop();

 private:
  boost::asio::io_context& context_;
  bench_state& state_;
  std::chrono::milliseconds timeout_;
  std::vector<std::shared_ptr<bench_flow>> flows_;
  std::vector<std::shared_ptr<churn_flow>> churns_;
};

}  // namespace echo
