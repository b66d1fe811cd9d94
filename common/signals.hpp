#pragma once
// The signals a reactor listens to: stop_signals for Ctrl+C and SIGTERM, report_signal for
// SIGUSR1 (a stats line on demand).
//
// stop_signals: Ctrl+C and SIGTERM for a reactor. Calls on_signal with the signal's number each
// time one arrives; the owner decides what the first, second or third means (the server: SIGTERM
// with --shutdown-delay waits, SIGINT drains at once, a later one hurries). Created by the object
// that owns the io_context, before run(); call cancel() once shutdown is complete so the pending
// wait does not keep run() from returning. Constructing one also ignores SIGPIPE for the process:
// writing to a closed peer must be an error code, not death.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <functional>

namespace echo {

class stop_signals {
 public:
  stop_signals(boost::asio::io_context& context, std::function<void(int signal_number)> on_signal);

  void cancel();

 private:
  void do_wait();
  void on_wait(const boost::system::error_code& ec, int signal_number);

  boost::asio::signal_set signals_;
  std::function<void(int signal_number)> on_signal_;
};

// SIGUSR1 for a reactor: calls on_signal each time it arrives, until cancel(). Created by the
// object that owns the io_context, before run(); with --workers only one reactor creates one, so
// that one signal gives one line. Once it exists, SIGUSR1 no longer kills the process (its default
// action) but is caught by Asio; call cancel() at shutdown so the wait does not keep run() going.
class report_signal {
 public:
  report_signal(boost::asio::io_context& context, std::function<void()> on_signal);

  void cancel();

 private:
  void do_wait();
  void on_wait(const boost::system::error_code& ec);

  boost::asio::signal_set signals_;
  std::function<void()> on_signal_;
};

}  // namespace echo
