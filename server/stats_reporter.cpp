#include "server/stats_reporter.hpp"

namespace echo {

stats_reporter::stats_reporter(boost::asio::io_context& context, std::chrono::seconds interval,
                               const logger& log, std::function<stats()> total)
    : interval_(interval),
      log_(log),
      total_(std::move(total)),
      signal_(context, [this] { report(); }),
      timer_(context) {
  if (interval_.count() > 0) {
    timer_.expires_after(interval_);
    do_tick();
  }
}

void stats_reporter::cancel() {
  is_cancelled_ = true;
  signal_.cancel();
  timer_.cancel();
}

void stats_reporter::report() {
  const stats total = total_();
  log_.always_event("stats", stats_fields(total), "stats: " + total.name_values());
}

void stats_reporter::do_tick() {
  timer_.async_wait([this](const boost::system::error_code& ec) { on_tick(ec); });
}

void stats_reporter::on_tick(const boost::system::error_code& ec) {
  // Also stop when cancel() came while this completion was already queued.
  if (ec || is_cancelled_) return;
  report();
  // From the previous expiry rather than from now, so that the lines do not drift; but after a
  // stall, the next line comes a whole interval later rather than in a burst of missed ones.
  const auto next = timer_.expiry() + interval_;
  if (next > std::chrono::steady_clock::now()) {
    timer_.expires_at(next);
  } else {
    timer_.expires_after(interval_);
  }
  do_tick();
}

std::vector<log_field> stats_fields(const stats& counters) {
  std::vector<log_field> fields = {{"connections_active", counters.connections_active.load()},
                                   {"connections_total", counters.connections_total.load()},
                                   {"bytes_in", counters.bytes_in.load()},
                                   {"bytes_out", counters.bytes_out.load()},
                                   {"refused", counters.refused.load()},
                                   {"timed_out", counters.timed_out.load()}};
  if (counters.has_udp) {
    fields.emplace_back("udp_datagrams_in", counters.udp_datagrams_in.load());
    fields.emplace_back("udp_datagrams_out", counters.udp_datagrams_out.load());
    fields.emplace_back("udp_bytes_in", counters.udp_bytes_in.load());
    fields.emplace_back("udp_bytes_out", counters.udp_bytes_out.load());
    fields.emplace_back("udp_dropped", counters.udp_dropped());
  }
  return fields;
}

}  // namespace echo
