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

void stats_reporter::report() { log_.always("stats: " + total_().name_values()); }

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

}  // namespace echo
