#include "client/bench_report.hpp"

#include "client/connection.hpp"

#include <unistd.h>

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
  double cpu_us_per_msg;
};

bench_figures figures_of(const bench_state& state, double cpu_us) {
  const bench_options& b = state.options;
  const double seconds = std::chrono::duration<double>(b.duration).count();
  const double msgs_per_s = static_cast<double>(state.completed) / seconds;
  const auto us = [&state](double fraction) {
    return micros(state.latencies.percentile(fraction)).count();
  };
  return {seconds,
          msgs_per_s,
          msgs_per_s * static_cast<double>(b.size) / 1e6,
          us(0.5),
          us(0.9),
          us(0.99),
          us(0.999),
          micros(state.latencies.max()).count(),
          cpu_us_per_message(cpu_us, state.completed)};
}

void print_json(const bench_state& state, const bench_figures& f, const bench_threads& threads) {
  const bench_options& b = state.options;
  std::printf(
      "{\"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"p50_us\": %.2f, \"p90_us\": %.2f, "
      "\"p99_us\": %.2f, \"p999_us\": %.2f, \"max_us\": %.2f, \"errors\": %llu, "
      "\"mismatches\": %llu, \"fell_behind\": %llu, \"connections\": %zu, \"size\": %zu, "
      "\"depth\": %zu, \"rate\": %.0f, \"churn\": %s, \"duration_s\": %.3f, \"threads\": %zu, "
      "\"thread_messages\": %s, \"messages\": %llu, \"client_cpu_us_per_msg\": %.3f, "
      "\"sources\": %zu, \"source_addresses\": %s%s}\n",
      f.msgs_per_s, f.mb_per_s, f.p50_us, f.p90_us, f.p99_us, f.p999_us, f.max_us,
      static_cast<unsigned long long>(state.errors),
      static_cast<unsigned long long>(state.mismatches),
      static_cast<unsigned long long>(state.fell_behind), b.connections, b.size, b.depth, b.rate,
      b.is_churn ? "true" : "false", f.seconds, b.threads, thread_messages_json(threads).c_str(),
      static_cast<unsigned long long>(state.completed), f.cpu_us_per_msg, state.sources.size(),
      state.sources.empty() ? "null" : ("\"" + state.sources.describe() + "\"").c_str(),
      b.is_json_stream ? ", \"final\": true" : "");
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
  std::printf("  client CPU   %.2f us/msg, %zu thread%s\n", f.cpu_us_per_msg, b.threads,
              b.threads == 1 ? "" : "s");
  if (state.fell_behind > 0) {
    std::printf("  fell behind the schedule and stopped: %llu of %zu connections\n",
                static_cast<unsigned long long>(state.fell_behind), b.connections);
  }
}

}  // namespace

void print_bench_report(const client_options& options, const bench_state& state,
                        const bench_threads& threads) {
  const bench_figures figures = figures_of(state, threads.cpu_us());
  if (state.options.is_json || state.options.is_json_stream) {
    return print_json(state, figures, threads);
  }
  print_text(options, state, figures);
}

std::string thread_messages_json(const bench_threads& threads) {
  std::string list = "[";
  for (std::size_t i = 0; i < threads.size(); ++i) {
    if (i > 0) list += ", ";
    list += std::to_string(threads.state(i).completed);
  }
  return list + "]";
}

double cpu_us_per_message(double cpu_us, std::uint64_t messages) {
  return messages == 0 ? 0 : cpu_us / static_cast<double>(messages);
}

bench_progress::bench_progress(const client_options& options, const char* unit)
    : options_(options.bench),
      unit_(unit),
      is_terminal_(!options.bench.is_json && ::isatty(STDERR_FILENO) == 1) {}

void bench_progress::on_interval(const bench_interval& interval) {
  const auto u = [](std::uint64_t n) { return static_cast<unsigned long long>(n); };
  const double seconds = interval.end_s - interval.start_s;
  const double per_s = seconds > 0 ? static_cast<double>(interval.completed) / seconds : 0;
  const auto us = [&interval](double fraction) {
    return micros(interval.latencies.percentile(fraction)).count();
  };
  errors_ += interval.errors;
  if (options_.is_json_stream) {
    // Flushed line by line: a dashboard reading the pipe sees each second as it ends.
    std::printf(
        "{\"interval\": {\"start\": %.3f, \"end\": %.3f}, \"messages\": %llu, "
        "\"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"p50_us\": %.2f, \"p99_us\": %.2f, "
        "\"errors\": %llu, \"mismatches\": %llu}\n",
        interval.start_s, interval.end_s, u(interval.completed), per_s,
        per_s * static_cast<double>(options_.size) / 1e6, us(0.5), us(0.99), u(interval.errors),
        u(interval.mismatches));
    std::fflush(stdout);
    return;
  }
  if (!is_terminal_) return;
  std::fprintf(stderr, "\rmeasuring: %.0f %s, p99 %.1f us, %llu errors   ", per_s, unit_, us(0.99),
               u(errors_));
  is_shown_ = true;
}

void bench_progress::finish() {
  if (is_shown_) std::fputc('\n', stderr);
  is_shown_ = false;
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
