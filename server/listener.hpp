#pragma once
// The listening socket and its accept loop. Created and owned by the server; hands each accepted
// socket (TCP_NODELAY already set) to the on_accept callback. The loop never stops by itself and
// never spins: when the process is out of descriptors it logs and retries after a short timer.

#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace echo {

class listener {
 public:
  using accept_handler = std::function<void(boost::asio::ip::tcp::socket)>;

  static constexpr std::chrono::milliseconds accept_retry_delay{100};

  listener(boost::asio::io_context& context, const logger& log, accept_handler on_accept);

  // Opens, binds and listens. Returns the one-line reason on failure ("address ... already in
  // use").
  std::optional<std::string> open(const boost::asio::ip::tcp::endpoint& endpoint);
  // The bound address, with the real port when port 0 was asked for.
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  void start();
  void close();

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  const logger& log_;
  accept_handler on_accept_;
  std::chrono::steady_clock::time_point last_exhaustion_log_{};
};

}  // namespace echo
