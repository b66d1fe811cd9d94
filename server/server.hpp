#pragma once
// One reactor: an io_context run by one thread, its listener, its sessions and its counters.
// main() constructs it from parsed options, then calls run(), which returns the exit code once
// a shutdown (SIGINT, SIGTERM or stop()) has completed. Tests may instead call open() and drive
// context() themselves with run_for().

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/signals.hpp"
#include "server/access.hpp"
#include "server/impairment.hpp"
#include "server/listener.hpp"
#include "server/metrics_endpoint.hpp"
#include "server/server_options.hpp"
#include "server/session.hpp"
#include "server/session_registry.hpp"
#include "server/slot_pool.hpp"
#include "server/stats.hpp"
#include "server/stats_reporter.hpp"
#include "server/udp_admission.hpp"
#include "server/udp_echo.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace echo {

class server {
 public:
  // How long sessions may finish their pending writes after the first stop signal.
  static constexpr std::chrono::seconds shutdown_grace{2};
  // How often the timeout sweep runs: the resolution of --idle-timeout and --write-timeout.
  static constexpr std::chrono::seconds sweep_interval{1};
  // Descriptors kept back from the default --max-connections for the listener, the log, the
  // spare descriptor and the like.
  static constexpr std::size_t reserved_descriptors = 32;
  static constexpr std::size_t min_default_max_connections = 1000;

  // `shared` and `impairments`: the process's limits and impairment control when several workers
  // share them (run_workers); without them the server has its own. They must outlive the server.
  server(server_options options, const logger& log, process_limits* shared = nullptr,
         impairment::control* impairments = nullptr);

  // The descriptor limit less reserved_descriptors, and at least min_default_max_connections.
  static std::size_t default_max_connections();

  // Binds and listens (TCP, UDP with --udp, both on one port), then logs "listening on
  // HOST:PORT (...)". Returns the reason on failure.
  std::optional<std::string> open();
  // open() if not yet done, then serves until shut down. Returns the process exit code.
  exit_code run();
  // Graceful shutdown, as on the first SIGINT or SIGTERM. Call from the reactor's thread.
  void stop();

  boost::asio::io_context& context() { return context_; }
  // Where it listens: the TCP listener's address, or with --no-tcp the UDP socket's.
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  const stats& counters() const { return stats_; }
  // The process's impairment settings (the admin endpoint's PUT and DELETE change them).
  impairment::control& impairments() { return impairments_; }
  // What the stats line of worker 0 reports: by default its own counters; run_workers gives it
  // the sum of every worker's. Call before run().
  void report_stats_of(std::function<stats()> total) { stats_total_ = std::move(total); }

 private:
  std::optional<std::string> open_sockets();
  std::optional<std::string> adopt_passed_sockets();
  std::optional<std::string> open_udp(std::uint16_t port);
  void announce() const;
  void on_accept(tcp_socket socket);
  void refuse(tcp_socket& socket, refusal reason, const std::string& peer, std::string_view why);
  void do_sweep();
  void close_everything();
  void finish_if_idle();

  // What a session's destructor touches sits above the io_context, so that sessions destroyed
  // along with the io_context's pending handlers still find it alive (see STYLE.md).
  server_options options_;
  const logger& log_;
  stats stats_;
  session_registry registry_;
  std::uint64_t now_tick_ = 0;  // sweeps so far: the coarse clock of the timeouts
  address_filter access_;       // --allow, --deny
  process_limits own_limits_;   // unused when the constructor was given shared ones
  process_limits& limits_;
  std::optional<impairment::control> own_impairments_;  // unless given one
  impairment::control& impairments_;
  impairment::reactor_state impairment_;     // this reactor's copy of the settings
  std::array<char, 64 * 1024> read_buffer_;  // shared by all sessions, see session_context
  std::optional<boost::asio::ssl::context> tls_context_;  // loaded by open() with --tls-cert
  log_throttle refusal_log_{std::chrono::seconds(1)};     // also the sessions', see session_context
  session_context session_context_;
  boost::asio::io_context context_{1};
  listener listener_;
  udp_admission udp_admission_;
  std::optional<udp_echo> udp_;  // with --udp
  stop_signals signals_;
  std::function<stats()> stats_total_;
  std::optional<stats_reporter> stats_reporter_;  // worker 0 only: one line for all
  std::optional<metrics_endpoint> metrics_;       // worker 0 only, with --metrics
  boost::asio::steady_timer grace_timer_;
  boost::asio::steady_timer sweep_timer_;
  bool is_open_ = false;
  bool is_stopping_ = false;
};

}  // namespace echo
