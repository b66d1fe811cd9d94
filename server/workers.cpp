#include "server/workers.hpp"

#include "common/endpoint.hpp"
#include "server/server.hpp"
#include "server/systemd.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include <memory>
#include <thread>
#include <vector>

namespace echo {

exit_code run_workers(const server_options& options, const logger& log) {
  if (options.workers == 1) {
    server only(options, log);
    if (auto failure = only.open()) {
      log.error(*failure);
      return exit_code::failure;
    }
    systemd::notify_ready("listening on " + format_endpoint(only.local_endpoint()));
    return only.run();
  }

  // The limits are the process's: every worker takes its slots from the same pools, so the total
  // never exceeds them, however the kernel spreads the connections. Declared above the workers,
  // whose sessions give their slots back as they are destroyed.
  process_limits limits(
      options.max_connections != 0 ? options.max_connections : server::default_max_connections(),
      options.max_handshakes);
  impairment::control impairments(options.impairment, options.seed.value_or(0));
  readiness ready;  // /readyz: worker 0 serves it, any worker's shutdown turns it off
  std::vector<std::unique_ptr<server>> workers;
  std::uint16_t port = options.port;
  // Worker 0 announces "listening on" for all, so it opens last; the first to open learns the
  // port when port 0 was asked for, and the others bind the same one.
  for (std::size_t i = 1; i <= options.workers; ++i) {
    server_options own = options;
    own.worker_index = i % options.workers;
    own.port = port;
    // With socket activation, every worker serves the passed sockets (one queue for all): the
    // first opened adopts them, the others duplicates.
    if (i > 1) {
      for (int* fd : {&own.passed_fd, &own.passed_udp_fd}) {
        if (*fd < 0) continue;
        *fd = ::fcntl(*fd, F_DUPFD_CLOEXEC, 0);
        if (*fd < 0) {
          log.error("socket activation: cannot duplicate the passed socket: " +
                    std::string(std::strerror(errno)));
          return exit_code::failure;
        }
      }
    }
    workers.push_back(std::make_unique<server>(own, log, &limits, &impairments, &ready));
    if (auto failure = workers.back()->open()) {
      log.error(*failure);
      return exit_code::failure;
    }
    port = workers.back()->local_endpoint().port();
  }

  // Worker 0 (the last one opened) logs the stats line for all. Other workers' counters are read
  // while they run: single-writer atomics, see server/stats.hpp.
  workers.back()->report_stats_of([&workers] {
    stats sum;
    for (const auto& w : workers) sum += w->counters();
    return sum;
  });
  systemd::notify_ready("listening on " + format_endpoint(workers.back()->local_endpoint()));

  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
  for (auto& t : threads) t.join();

  stats total_stats;
  for (const auto& w : workers) total_stats += w->counters();
  std::vector<log_field> fields = stats_fields(total_stats);
  fields.emplace_back("workers", workers.size());
  log.always_event(
      "shutdown", fields,
      "shut down: " + total_stats.summary() + " (" + std::to_string(workers.size()) + " workers)");
  return exit_code::ok;
}

}  // namespace echo
