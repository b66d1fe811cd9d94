#include "common/signals.hpp"

#include <csignal>

namespace echo {

stop_signals::stop_signals(boost::asio::io_context& context,
                           std::function<void(int signal_number)> on_signal)
    : signals_(context, SIGINT, SIGTERM), on_signal_(std::move(on_signal)) {
  std::signal(SIGPIPE, SIG_IGN);
  do_wait();
}

void stop_signals::cancel() {
  boost::system::error_code ignored;
  signals_.cancel(ignored);
}

void stop_signals::do_wait() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal_number) {
    on_wait(ec, signal_number);
  });
}

void stop_signals::on_wait(const boost::system::error_code& ec, int signal_number) {
  if (ec) return;  // cancelled: shutdown is complete
  do_wait();       // keep listening: a later signal means "sooner"
  on_signal_(signal_number);
}

report_signal::report_signal(boost::asio::io_context& context, std::function<void()> on_signal)
    : signals_(context, SIGUSR1), on_signal_(std::move(on_signal)) {
  do_wait();
}

void report_signal::cancel() {
  boost::system::error_code ignored;
  signals_.cancel(ignored);
}

void report_signal::do_wait() {
  signals_.async_wait(
      [this](const boost::system::error_code& ec, int /*signal_number*/) { on_wait(ec); });
}

void report_signal::on_wait(const boost::system::error_code& ec) {
  if (ec) return;  // cancelled: shutdown is complete
  do_wait();
  on_signal_();
}

}  // namespace echo
