#include "client/bench.hpp"

#include "client/bench_load.hpp"
#include "client/bench_report.hpp"
#include "client/bench_threads.hpp"
#include "client/connection.hpp"
#include "client/histogram_file.hpp"

#include <boost/asio/steady_timer.hpp>

#include <optional>
#include <string>
#include <vector>

namespace echo {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

bench::bench(const client_options& options, const logger& log)
    : options_(options), log_(log), tls_(client_tls::from_options(options)) {}

exit_code bench::run() {
  // One ordinary connection first, so that a wrong address or a dead server gets its usual
  // one-line error and exit code rather than a report full of errors.
  std::optional<failure> probe_failure;
  connection probe(context_, options_, log_, tls_.get());
  probe.async_connect([&](const std::optional<failure>& f) { probe_failure = f; });
  context_.run();
  if (probe_failure) return report(*probe_failure);
  const tcp::endpoint endpoint = probe.socket().remote_endpoint();
  const auto server =
      tcp::resolver::results_type::create(endpoint, options_.host, std::to_string(options_.port));
  probe.close();
  source_addresses sources = options_.sources;
  if (sources.empty() && options_.bench.is_churn) {
    sources = source_addresses::churn_default(endpoint.address());
  }
  if (auto f = check_sources(sources, probe.peer())) return report(*f);
  auto asked = histogram_file::create_if_asked(options_.histogram_file);
  if (auto* f = std::get_if<failure>(&asked)) return report(*f);
  std::optional<histogram_file>& histogram = std::get<std::optional<histogram_file>>(asked);

  const bench_options& b = options_.bench;
  bench_threads threads(b, b.threads);
  // Below the reactors: each reactor's flows and end timer go before its io_context.
  std::vector<std::unique_ptr<bench_load>> loads(b.threads);
  std::vector<std::unique_ptr<asio::steady_timer>> end_timers(b.threads);
  bench_progress progress(options_, "msg/s");
  threads.run(
      [&](std::size_t i, asio::io_context& context, bench_state& state, bench_share share) {
        state.tls = tls_.get();
        state.server = server;
        state.sources = sources;
        loads[i] = std::make_unique<bench_load>(context, state, options_.timeout, share);
        loads[i]->start_in_window();
        end_timers[i] = std::make_unique<asio::steady_timer>(context, state.measure_until);
        end_timers[i]->async_wait([load = loads[i].get()](const error_code&) { load->stop(); });
      },
      [&](const bench_interval& interval) { progress.on_interval(interval); });
  progress.finish();
  bench_state total = threads.merged();
  total.sources = sources;
  print_bench_report(options_, total, threads);
  report_fell_behind(total);
  if (histogram) {
    if (auto f = histogram->write(total.latencies)) return report(*f);
  }
  return total.errors == 0 && total.mismatches == 0 ? exit_code::ok : exit_code::failure;
}

}  // namespace echo
