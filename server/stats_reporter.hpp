#pragma once
// The live stats line: "stats: connections_active=3 connections_total=12 bytes_in=..." on SIGUSR1
// and, with --stats-interval, every so many seconds; written whatever the log level, like the
// shutdown summary. Created by the server of worker 0 (or the only server) before run(); `total`
// gives the counters to print, summed over every worker. The server calls cancel() once shutdown
// is complete so that neither wait keeps run() from returning.

#include "common/log.hpp"
#include "common/signals.hpp"
#include "server/stats.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <vector>

namespace echo {

class stats_reporter {
 public:
  // interval 0: only on SIGUSR1.
  stats_reporter(boost::asio::io_context& context, std::chrono::seconds interval, const logger& log,
                 std::function<stats()> total);

  void cancel();

 private:
  void report();
  void do_tick();
  void on_tick(const boost::system::error_code& ec);

  std::chrono::seconds interval_;
  const logger& log_;
  std::function<stats()> total_;
  report_signal signal_;
  boost::asio::steady_timer timer_;
  bool is_cancelled_ = false;
};

// Every counter as a number field of a JSON log event, named as in the stats line
// (connections_active, connections_total, bytes_in, bytes_out, refused, timed_out).
std::vector<log_field> stats_fields(const stats& counters);

}  // namespace echo
