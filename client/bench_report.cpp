#include "client/bench_report.hpp"

#include "client/connection.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace echo {

namespace {

using micros = std::chrono::duration<double, std::micro>;

struct bench_figures {
  double seconds;  // measured: the window after the warmup
  double msgs_per_s;
  double mb_per_s;
  double p50_us;
  double p90_us;
  double p99_us;
  double p999_us;
  double max_us;
};

bench_figures figures_of(const bench_state& state) {
  const bench_options& b = state.options;
  const double seconds = std::chrono::duration<double>(b.duration).count();
  const double msgs_per_s = static_cast<double>(state.completed) / seconds;
  const auto us = [&state](double fraction) {
    return micros(state.latencies.percentile(fraction)).count();
  };
  return {seconds,  msgs_per_s, msgs_per_s * static_cast<double>(b.size) / 1e6, us(0.5), us(0.9),
          us(0.99), us(0.999),  micros(state.latencies.max()).count()};
}

void print_json(const bench_state& state, const bench_figures& f) {
  const bench_options& b = state.options;
  std::printf(
      "{\"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"p50_us\": %.2f, \"p90_us\": %.2f, "
      "\"p99_us\": %.2f, \"p999_us\": %.2f, \"max_us\": %.2f, \"errors\": %llu, "
      "\"mismatches\": %llu, \"fell_behind\": %llu, \"connections\": %zu, \"size\": %zu, "
      "\"depth\": %zu, \"rate\": %.0f, \"churn\": %s, \"duration_s\": %.3f, "
      "\"sources\": %zu, \"source_addresses\": %s}\n",
      f.msgs_per_s, f.mb_per_s, f.p50_us, f.p90_us, f.p99_us, f.p999_us, f.max_us,
      static_cast<unsigned long long>(state.errors),
      static_cast<unsigned long long>(state.mismatches),
      static_cast<unsigned long long>(state.fell_behind), b.connections, b.size, b.depth, b.rate,
      b.is_churn ? "true" : "false", f.seconds, state.sources.size(),
      state.sources.empty() ? "null" : ("\"" + state.sources.describe() + "\"").c_str());
}

void print_text(const client_options& options, const bench_state& state, const bench_figures& f) {
  const bench_options& b = state.options;
  const std::string loop =
      b.is_churn   ? "a new connection per message"
      : b.rate > 0 ? "open loop at " + std::to_string(static_cast<long long>(b.rate)) + " msgs/s"
                   : "closed loop, depth " + std::to_string(b.depth);
  std::printf("bench %s:%u: %zu connection%s x %zu B, %s, %.1f s measured\n", options.host.c_str(),
              static_cast<unsigned>(options.port), b.connections, b.connections == 1 ? "" : "s",
              b.size, loop.c_str(), f.seconds);
  std::printf("  %s/s   %.0f\n", b.is_churn ? "connections" : "messages", f.msgs_per_s);
  std::printf("  MB/s         %.2f\n", f.mb_per_s);
  std::printf("  latency us   p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", f.p50_us,
              f.p90_us, f.p99_us, f.p999_us, f.max_us);
  if (!state.sources.empty()) {
    std::printf("  sources      %zu: %s%s\n", state.sources.size(),
                state.sources.describe().c_str(),
                options.sources.empty() ? " (the default for --churn to a loopback server)" : "");
  }
  std::printf("  errors %llu  mismatches %llu\n", static_cast<unsigned long long>(state.errors),
              static_cast<unsigned long long>(state.mismatches));
  if (state.fell_behind > 0) {
    std::printf("  fell behind the schedule and stopped: %llu of %zu connections\n",
                static_cast<unsigned long long>(state.fell_behind), b.connections);
  }
}

}  // namespace

void print_bench_report(const client_options& options, const bench_state& state) {
  const bench_figures figures = figures_of(state);
  if (state.options.is_json) return print_json(state, figures);
  print_text(options, state, figures);
}

void report_fell_behind(const bench_state& state) {
  if (state.fell_behind == 0) return;
  const bench_options& b = state.options;
  char late[32];
  std::snprintf(late, sizeof late, "%.3f", std::chrono::duration<double>(state.behind_by).count());
  report({exit_code::failure, "--rate " + std::to_string(static_cast<long long>(b.rate)) +
                                  " cannot be sustained: " + std::to_string(state.fell_behind) +
                                  " of " + std::to_string(b.connections) +
                                  " connections fell behind the schedule and stopped (" +
                                  std::to_string(state.behind_in_flight) +
                                  " messages in flight, the oldest " + late + " s late)"});
}

}  // namespace echo
