#include "client/bench_load.hpp"

#include "client/bench_plan.hpp"

#include <cstdint>

namespace echo {

bench_load::bench_load(boost::asio::io_context& context, bench_state& state,
                       std::chrono::milliseconds timeout, std::optional<bench_share> share)
    : context_(context),
      state_(state),
      timeout_(timeout),
      share_(share.value_or(bench_share{0, state.options.connections})) {}

void bench_load::start() {
  const bench_options& b = state_.options;
  state_.started = bench_state::clock::now();
  state_.measure_from = state_.started + b.warmup;
  state_.measure_until = state_.measure_from + b.duration;
  start_in_window();
}

void bench_load::start_in_window() {
  const bench_options& b = state_.options;
  const auto end = static_cast<std::uint32_t>(share_.first + share_.count);
  for (auto id = static_cast<std::uint32_t>(share_.first); id < end; ++id) {
    if (b.is_churn) {
      churns_.push_back(std::make_shared<churn_flow>(context_, state_, id));
      churns_.back()->start();
      continue;
    }
    flows_.push_back(
        std::make_shared<bench_flow>(context_, state_, id, plan_bench_flow(b, timeout_, id)));
    flows_.back()->start();
  }
}

void bench_load::stop() {
  state_.is_stopping = true;
  for (auto& flow : flows_) flow->stop();
  for (auto& churn : churns_) churn->stop();
}

}  // namespace echo
