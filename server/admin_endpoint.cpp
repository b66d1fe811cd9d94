#include "server/admin_endpoint.hpp"

#include "common/endpoint.hpp"
#include "common/errors.hpp"
#include "server/metrics_text.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <string_view>
#include <vector>

namespace echo {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

// One scrape connection: read a request, answer it, and again while the client keeps it alive.
class admin_connection : public std::enable_shared_from_this<admin_connection> {
 public:
  admin_connection(tcp_socket socket, admin_endpoint& endpoint,
                     std::shared_ptr<admin_endpoint::connection_set> all)
      : stream_(std::move(socket)),
        endpoint_(endpoint),
        all_(std::move(all)),
        buffer_(admin_endpoint::max_request_bytes) {
    all_->insert(this);
  }
  ~admin_connection() { all_->erase(this); }

  void start() { do_read(); }
  // Leaves the set at once: a closed connection takes no slot, though its handler is still to run.
  void close() {
    all_->erase(this);
    error_code ignored;
    stream_.socket().close(ignored);
  }
  // When it last got somewhere: accepted, a request read, a response written.
  std::chrono::steady_clock::time_point last_progress() const { return last_progress_; }

 private:
  void do_read() {
    parser_.emplace();
    // A body is read (and ignored) rather than refused, so that a POST with one still gets its
    // 405; it has its own cap of the same size.
    parser_->header_limit(admin_endpoint::max_request_bytes);
    parser_->body_limit(admin_endpoint::max_request_bytes);
    stream_.expires_after(admin_endpoint::io_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(const error_code& ec) {
    if (ec) return close();  // eof, timeout, a request too large or malformed: nothing to say
    last_progress_ = std::chrono::steady_clock::now();
    const auto& request = parser_->get();
    response_ = {};
    response_.version(request.version());
    response_.keep_alive(request.keep_alive());
    response_.set(http::field::server, "echo-server");
    response_.set(http::field::content_type, "text/plain; charset=utf-8");
    // The path without its query string: Prometheus's `params` setting adds one.
    const std::string_view target = request.target();
    if (target.substr(0, target.find('?')) != "/metrics") {
      response_.result(http::status::not_found);
      response_.body() = "not found: try /metrics\n";
    } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response_.result(http::status::method_not_allowed);
      response_.set(http::field::allow, "GET, HEAD");
      response_.body() = "method not allowed: use GET\n";
    } else {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response_.body() = endpoint_.render();
    }
    response_.prepare_payload();
    if (request.method() == http::verb::head) response_.body().clear();
    stream_.expires_after(admin_endpoint::io_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](const error_code& write_ec, std::size_t) {
                        self->on_write(write_ec);
                      });
  }

  void on_write(const error_code& ec) {
    if (ec || !response_.keep_alive()) {
      error_code ignored;
      stream_.socket().shutdown(tcp_socket::shutdown_send, ignored);
      return close();
    }
    last_progress_ = std::chrono::steady_clock::now();
    do_read();
  }

  beast::basic_stream<asio::ip::tcp, executor> stream_;
  admin_endpoint& endpoint_;  // outlives every handler that runs
  std::shared_ptr<admin_endpoint::connection_set> all_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
};

admin_endpoint::admin_endpoint(asio::io_context& context, const logger& log,
                                   std::function<stats()> total, double start_time)
    : log_(log),
      total_(std::move(total)),
      start_time_(start_time),
      acceptor_(context.get_executor()),
      retry_timer_(context.get_executor()) {}

admin_endpoint::~admin_endpoint() { close(); }

std::optional<std::string> admin_endpoint::open(const asio::ip::tcp::endpoint& endpoint) {
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp_acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return "--metrics: " + describe_listen_error(ec, format_endpoint(endpoint));
  }
  return std::nullopt;
}

asio::ip::tcp::endpoint admin_endpoint::local_endpoint() const {
  error_code ec;
  return acceptor_.local_endpoint(ec);
}

void admin_endpoint::start() { do_accept(); }

void admin_endpoint::close() {
  error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  // Closing makes each connection's pending operation end, and with it the connection.
  const std::vector<admin_connection*> all(connections_->begin(), connections_->end());
  for (admin_connection* c : all) c->close();
}

std::string admin_endpoint::render() const { return prometheus_text(total_(), start_time_); }

void admin_endpoint::do_accept() {
  acceptor_.async_accept(
      [this](const error_code& ec, tcp_socket socket) { on_accept(ec, std::move(socket)); });
}

void admin_endpoint::on_accept(const error_code& ec, tcp_socket socket) {
  if (!acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors, say: try again shortly rather than at once.
    log_.debug("metrics: accept: " + lower_message(ec));
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](const error_code& wait_ec) {
      if (!wait_ec) do_accept();
    });
    return;
  }
  if (connections_->size() >= max_connections) evict_longest_idle();
  std::make_shared<admin_connection>(std::move(socket), *this, connections_)->start();
  do_accept();
}

// All slots taken: the connection that has gone longest without progress (idle between requests
// on keep-alive, or dribbling a request) makes room for the new one. The limit of 10 s is per
// request, so clients that each send a request every few seconds could otherwise hold every slot
// for ever; now a scraper's new connection always gets in, and its own request, answered at once,
// makes it the last in line to be evicted. Capping a connection's life or requests instead would
// free a slot only for whoever reconnects first, usually the client that held it.
void admin_endpoint::evict_longest_idle() {
  const auto oldest =
      std::min_element(connections_->begin(), connections_->end(),
                       [](const admin_connection* a, const admin_connection* b) {
                         return a->last_progress() < b->last_progress();
                       });
  log_.debug("metrics: " + std::to_string(max_connections) +
             " scrape connections open; closing the one idle longest for a new one");
  (*oldest)->close();
}

}  // namespace echo
