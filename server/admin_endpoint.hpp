#pragma once
// --admin HOST:PORT (or --metrics, its older name): a small HTTP/1.1 API (Boost.Beast), served by
// worker 0's reactor next to the echo traffic, with no thread of its own:
//
//   GET|HEAD /metrics     Prometheus's text: a snapshot of the counters (summed over the workers
//                         by `total`) and the current impairment settings
//   GET /healthz          200 "ok" while the reactors run
//   GET /readyz           200 "ready" once every listener is open; 503 from the moment a graceful
//                         shutdown starts (--shutdown-delay), so a balancer stops sending first
//   GET /impairment       the impairment settings as JSON
//   PUT /impairment       a partial update (a JSON object), DELETE: all off (the seed kept); both
//                         only with --admin-write, else 403; each change logs one line
//
// Anything else gets 404 or 405. A connection has 10 seconds for each request and response, a
// request's header and its body are capped at 8 KiB each (a larger body gets 413, then the
// connection closes), and at most 16 connections are open at once, so a slow or hostile HTTP
// client costs the echo traffic nothing. A new connection when all 16 are open closes the one
// that has gone longest without a request or response, so that clients keeping their connections
// busy cannot lock a scraper out.

#include "common/log.hpp"
#include "server/impairment.hpp"
#include "server/socket.hpp"
#include "server/stats.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace echo {

class admin_connection;

// Whether the process wants new traffic: what /readyz answers. One per process (run_workers owns
// it for all workers, a lone server its own); any worker's thread may change it, worker 0's
// endpoint reads it.
class readiness {
 public:
  enum class state { starting, ready, stopping };
  void set(state s) { state_.store(s); }
  state get() const { return state_.load(); }

 private:
  std::atomic<state> state_{state::starting};
};

class admin_endpoint {
 public:
  static constexpr std::size_t max_connections = 16;
  static constexpr std::size_t max_request_bytes = 8 * 1024;
  static constexpr std::chrono::seconds io_timeout{10};
  // After a 413, how long the rest of the refused body is read and dropped before the connection
  // closes: closing with unread bytes would send a reset, which may reach the client before it
  // reads the 413.
  static constexpr std::chrono::seconds linger_timeout{2};

  // What a request gets, before HTTP framing: the connection adds the version and keep-alive.
  struct answer {
    boost::beast::http::status status = boost::beast::http::status::ok;
    std::string content_type;
    std::string body;
    std::string allow;  // with 405: the methods the path takes
  };

  struct settings {
    double start_time = 0;      // the process's start, in seconds since the Unix epoch
    bool allow_writes = false;  // --admin-write
  };

  // `total`: the counters summed over the workers; `impairments` and `ready` are the process's and
  // outlive the endpoint.
  admin_endpoint(boost::asio::io_context& context, const logger& log, std::function<stats()> total,
                 impairment::control& impairments, const readiness& ready, settings config);
  ~admin_endpoint();
  admin_endpoint(const admin_endpoint&) = delete;
  admin_endpoint& operator=(const admin_endpoint&) = delete;

  // Binds and listens; returns the one-line reason on failure.
  std::optional<std::string> open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  // Stops accepting and closes the connections (at shutdown).
  void close();

  // The answer to one request: `peer` ("127.0.0.1:40312") is named in the log line of a change.
  answer respond(boost::beast::http::verb method, std::string_view target, const std::string& body,
                 const std::string& peer);
  // The answer when a request's body is over max_request_bytes.
  static answer too_large();

  // The open connections: shared with them, so that one destroyed with the io_context after this
  // endpoint still has a set to leave.
  using connection_set = std::unordered_set<admin_connection*>;

 private:
  answer impairment_answer(boost::beast::http::verb method, const std::string& body,
                           const std::string& peer);
  void do_accept();
  void on_accept(const boost::system::error_code& ec, tcp_socket socket);
  void evict_longest_idle();

  const logger& log_;
  std::function<stats()> total_;
  impairment::control& impairments_;
  const readiness& ready_;
  settings config_;
  tcp_acceptor acceptor_;
  steady_timer retry_timer_;  // after a failed accept, so that it never spins
  std::shared_ptr<connection_set> connections_ = std::make_shared<connection_set>();
};

}  // namespace echo
