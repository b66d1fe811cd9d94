#pragma once
// --metrics HOST:PORT: Prometheus's `GET /metrics` over HTTP/1.1 (Boost.Beast), served by worker
// 0's reactor next to the echo traffic, with no thread of its own. Each scrape renders a snapshot
// of the counters (summed over the workers by `total`); nothing touches the echo path but the
// counters themselves. Anything but GET or HEAD /metrics gets 404 or 405. A scrape connection
// has 10 seconds for each request and response, a request's header and its body are capped at
// 8 KiB each, and at most 16 connections are open at once, so a slow or hostile HTTP client costs
// the echo traffic nothing. A new connection when all 16 are open closes the one that has gone
// longest without a request or response, so that clients keeping their connections busy cannot
// lock a scraper out.

#include "common/log.hpp"
#include "server/socket.hpp"
#include "server/stats.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

namespace echo {

class admin_connection;

class admin_endpoint {
 public:
  static constexpr std::size_t max_connections = 16;
  static constexpr std::size_t max_request_bytes = 8 * 1024;
  static constexpr std::chrono::seconds io_timeout{10};

  // `start_time`: the process's start, in seconds since the Unix epoch.
  admin_endpoint(boost::asio::io_context& context, const logger& log,
                   std::function<stats()> total, double start_time);
  ~admin_endpoint();
  admin_endpoint(const admin_endpoint&) = delete;
  admin_endpoint& operator=(const admin_endpoint&) = delete;

  // Binds and listens; returns the one-line reason on failure.
  std::optional<std::string> open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  // Stops accepting and closes the scrape connections (at shutdown).
  void close();

  // The page, for a connection.
  std::string render() const;

  // The open connections: shared with them, so that one destroyed with the io_context after this
  // endpoint still has a set to leave.
  using connection_set = std::unordered_set<admin_connection*>;

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& ec, tcp_socket socket);
  void evict_longest_idle();

  const logger& log_;
  std::function<stats()> total_;
  double start_time_;
  tcp_acceptor acceptor_;
  steady_timer retry_timer_;  // after a failed accept, so that it never spins
  std::shared_ptr<connection_set> connections_ = std::make_shared<connection_set>();
};

}  // namespace echo
