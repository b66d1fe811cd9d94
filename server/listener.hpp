#pragma once
// The listening socket and its accept loop. Created and owned by the server; hands each accepted
// socket (TCP_NODELAY and SO_OOBINLINE already set) to the on_accept callback. The loop never
// stops by itself and never spins. Out of descriptors, it still answers each waiting client at
// once with a refusal, using a descriptor kept spare for that; without one it logs and retries
// after a short timer.

#include "common/log.hpp"
#include "server/socket.hpp"
#include "server/stats.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace echo {

class listener {
 public:
  using accept_handler = std::function<void(tcp_socket)>;

  static constexpr std::chrono::milliseconds accept_retry_delay{100};

  // The line a client refused for lack of descriptors or slots reads before we close. Never on a
  // TLS port, where a plaintext line reads as a broken handshake ("wrong version number"): there
  // a refused client is closed without a byte.
  static constexpr std::string_view refusal = "error: too many connections, try again later\n";

  listener(boost::asio::io_context& context, const logger& log, stats& counters,
           accept_handler on_accept);
  ~listener();
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  // Opens, binds and listens. Returns the one-line reason on failure ("address ... already in
  // use").
  // With is_port_shared, sets SO_REUSEPORT so that each worker's listener binds the same port and
  // the kernel spreads new connections across them.
  std::optional<std::string> open(const boost::asio::ip::tcp::endpoint& endpoint,
                                  bool is_port_shared = false);
  // Serves a socket that is already listening, passed by systemd (socket activation), instead of
  // open(). Takes ownership of fd on success. Returns the one-line reason when fd is not a
  // listening TCP socket.
  std::optional<std::string> adopt(int fd);
  // The bound address, with the real port when port 0 was asked for.
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // TLS ports: refuse a client by closing it without writing the refusal line.
  void refuse_silently() { is_refusal_silent_ = true; }

  void start();
  void close();

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& ec, tcp_socket socket);
  enum class spare_outcome { refused, nobody_waiting, no_spare };
  spare_outcome refuse_with_spare_descriptor();
  void do_await_client();

  tcp_acceptor acceptor_;
  steady_timer retry_timer_;
  const logger& log_;
  stats& counters_;
  accept_handler on_accept_;
  int spare_fd_;
  bool is_refusal_silent_ = false;
  log_throttle exhaustion_log_{std::chrono::seconds(1)};
};

}  // namespace echo
