#include "client/bench.hpp"

#include "client/bench_report.hpp"
#include "client/connection.hpp"
#include "client/histogram_file.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace echo {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using clock = bench_state::clock;

bench::bench(const client_options& options, const logger& log)
    : options_(options),
      log_(log),
      tls_(client_tls::from_options(options)),
      state_(options.bench),
      load_(context_, state_, options.timeout),
      end_timer_(context_),
      progress_timer_(context_) {}

exit_code bench::run() {
  // One ordinary connection first, so that a wrong address or a dead server gets its usual
  // one-line error and exit code rather than a report full of errors.
  std::optional<failure> probe_failure;
  state_.tls = tls_.get();
  connection probe(context_, options_, log_, tls_.get());
  probe.async_connect([&](const std::optional<failure>& f) { probe_failure = f; });
  context_.run();
  if (probe_failure) return report(*probe_failure);
  const tcp::endpoint server = probe.socket().remote_endpoint();
  state_.server =
      tcp::resolver::results_type::create(server, options_.host, std::to_string(options_.port));
  probe.close();
  context_.restart();
  state_.sources = options_.sources;
  if (state_.sources.empty() && options_.bench.is_churn) {
    state_.sources = source_addresses::churn_default(server.address());
  }
  if (auto f = check_sources(state_.sources, probe.peer())) return report(*f);
  std::optional<histogram_file> histogram;
  if (!options_.histogram_file.empty()) {
    auto created = histogram_file::create(options_.histogram_file);
    if (auto* f = std::get_if<failure>(&created)) return report(*f);
    histogram.emplace(std::move(std::get<histogram_file>(created)));
  }

  load_.start();
  end_timer_.expires_at(state_.measure_until);
  end_timer_.async_wait([this](const error_code&) { finish(); });
  if (!options_.bench.is_json && ::isatty(STDERR_FILENO) == 1) do_progress();
  context_.run();
  if (is_progress_shown_) std::fputc('\n', stderr);
  print_bench_report(options_, state_);
  report_fell_behind(state_);
  if (histogram) {
    if (auto f = histogram->write(state_.latencies)) return report(*f);
  }
  return state_.errors == 0 && state_.mismatches == 0 ? exit_code::ok : exit_code::failure;
}

void bench::do_progress() {
  progress_timer_.expires_after(std::chrono::seconds(1));
  progress_timer_.async_wait([this](const error_code& ec) { on_progress(ec); });
}

void bench::on_progress(const error_code& ec) {
  if (ec || state_.is_stopping) return;
  const std::uint64_t in_last_second = state_.completed - last_completed_;
  last_completed_ = state_.completed;
  std::fprintf(stderr, "\r%s: %llu msg/s, p99 %.1f us, %llu errors   ",
               clock::now() < state_.measure_from ? "warming up" : "measuring",
               static_cast<unsigned long long>(in_last_second),
               std::chrono::duration<double, std::micro>(state_.latencies.percentile(0.99)).count(),
               static_cast<unsigned long long>(state_.errors));
  is_progress_shown_ = true;
  do_progress();
}

void bench::finish() {
  load_.stop();
  progress_timer_.cancel();
}

}  // namespace echo
