#include "server/admin_endpoint.hpp"

#include "common/endpoint.hpp"
#include "common/errors.hpp"
#include "common/escape.hpp"
#include "server/metrics_text.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <vector>

namespace echo {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

// One admin connection: read a request, answer it, and again while the client keeps it alive.
class admin_connection : public std::enable_shared_from_this<admin_connection> {
 public:
  admin_connection(tcp_socket socket, admin_endpoint& endpoint,
                   std::shared_ptr<admin_endpoint::connection_set> all)
      : peer_(peer_of(socket)),
        stream_(std::move(socket)),
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
  static std::string peer_of(const tcp_socket& socket) {
    error_code ec;
    const asio::ip::tcp::endpoint peer = socket.remote_endpoint(ec);
    return ec ? std::string("unknown peer") : format_endpoint(peer);
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(admin_endpoint::max_request_bytes);
    parser_->body_limit(admin_endpoint::max_request_bytes);
    stream_.expires_after(admin_endpoint::io_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(const error_code& ec) {
    // A body over the cap (from its Content-Length on): the request line came, so there is someone
    // to tell. Beast does not count the header as done when it refuses the body there.
    if (ec == http::error::body_limit) return do_write(admin_endpoint::too_large(), false);
    if (ec) return close();  // eof, timeout, a header too large or malformed: nothing to say
    last_progress_ = std::chrono::steady_clock::now();
    const auto& request = parser_->get();
    do_write(endpoint_.respond(request.method(), request.target(), request.body(), peer_),
             request.keep_alive());
  }

  void do_write(admin_endpoint::answer answer, bool keep_alive) {
    const auto& request = parser_->get();
    response_ = {};
    response_.version(request.version());
    response_.keep_alive(keep_alive);
    response_.result(answer.status);
    response_.set(http::field::server, "echo-server");
    response_.set(http::field::content_type, answer.content_type);
    if (!answer.allow.empty()) response_.set(http::field::allow, answer.allow);
    response_.body() = std::move(answer.body);
    response_.prepare_payload();
    if (request.method() == http::verb::head) response_.body().clear();
    stream_.expires_after(admin_endpoint::io_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](const error_code& write_ec, std::size_t) {
                        self->on_write(write_ec);
                      });
  }

  void on_write(const error_code& ec) {
    if (ec) return close();
    last_progress_ = std::chrono::steady_clock::now();
    if (response_.keep_alive()) return do_read();
    error_code ignored;
    stream_.socket().shutdown(tcp_socket::shutdown_send, ignored);
    // A request refused unread (413) may still be arriving: read it to its end, within a bound,
    // before closing.
    if (parser_->is_done()) return close();
    stream_.expires_after(admin_endpoint::linger_timeout);
    do_discard();
  }

  void do_discard() {
    stream_.async_read_some(
        asio::buffer(discard_),
        [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_discard(ec); });
  }

  void on_discard(const error_code& ec) {
    if (ec) return close();  // eof at last, or the linger timeout
    do_discard();
  }

  std::string peer_;
  beast::basic_stream<asio::ip::tcp, executor> stream_;
  admin_endpoint& endpoint_;  // outlives every handler that runs
  std::shared_ptr<admin_endpoint::connection_set> all_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::array<char, 4096> discard_;
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
};

namespace {

constexpr const char* text_type = "text/plain; charset=utf-8";
constexpr const char* json_type = "application/json";
constexpr const char* reads = "GET, HEAD";

admin_endpoint::answer text(http::status status, std::string body) {
  return {status, text_type, std::move(body), {}};
}

admin_endpoint::answer json(http::status status, std::string body) {
  return {status, json_type, std::move(body), {}};
}

// `{"error":"delay_ms: expected ..."}`: one line.
admin_endpoint::answer json_error(http::status status, std::string_view why) {
  return json(status, "{\"error\":" + json_quote(why) + "}\n");
}

admin_endpoint::answer not_allowed(const char* allow) {
  return {http::status::method_not_allowed, text_type,
          std::string("method not allowed: use ") + allow + "\n", allow};
}

bool is_read(http::verb method) { return method == http::verb::get || method == http::verb::head; }

}  // namespace

admin_endpoint::admin_endpoint(asio::io_context& context, const logger& log,
                               std::function<stats()> total, impairment::control& impairments,
                               const readiness& ready, settings config)
    : log_(log),
      total_(std::move(total)),
      impairments_(impairments),
      ready_(ready),
      config_(config),
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
    return describe_listen_error(ec, format_endpoint(endpoint));
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

admin_endpoint::answer admin_endpoint::respond(http::verb method, std::string_view target,
                                               const std::string& body, const std::string& peer) {
  // The path without its query string: Prometheus's `params` setting adds one.
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/impairment") return impairment_answer(method, body, peer);
  if (path != "/metrics" && path != "/healthz" && path != "/readyz") {
    return text(http::status::not_found,
                "not found: try /metrics, /healthz, /readyz or /impairment\n");
  }
  if (!is_read(method)) return not_allowed(reads);
  if (path == "/healthz") return text(http::status::ok, "ok\n");
  if (path == "/readyz") {
    switch (ready_.get()) {
      case readiness::state::ready:
        return text(http::status::ok, "ready\n");
      case readiness::state::starting:
        return text(http::status::service_unavailable, "starting\n");
      case readiness::state::stopping:
        break;
    }
    return text(http::status::service_unavailable, "shutting down\n");
  }
  return {http::status::ok,
          "text/plain; version=0.0.4; charset=utf-8",
          prometheus_text(total_(), config_.start_time, impairments_.current()),
          {}};
}

admin_endpoint::answer admin_endpoint::too_large() {
  return json_error(http::status::payload_too_large,
                    "body: larger than " + std::to_string(max_request_bytes) + " bytes");
}

// Only worker 0's reactor runs this, so reading the settings and setting them cannot interleave
// with another change.
admin_endpoint::answer admin_endpoint::impairment_answer(http::verb method, const std::string& body,
                                                         const std::string& peer) {
  impairment::settings s = impairments_.current();
  std::uint64_t seed = impairments_.seed();
  if (is_read(method)) return json(http::status::ok, impairment::to_json(s, seed) + "\n");
  if (method != http::verb::put && method != http::verb::delete_) {
    return not_allowed("GET, HEAD, PUT, DELETE");
  }
  if (!config_.allow_writes) {
    return json_error(http::status::forbidden, "writes need --admin-write");
  }
  if (method == http::verb::delete_) {
    s = {};
  } else if (auto failure = impairment::apply_json(body, s, seed)) {
    return json_error(http::status::bad_request, *failure);
  }
  impairments_.set(s, seed);
  const std::string now = impairment::to_json(s, seed);
  log_.always_event("impairment_changed", {{"peer", peer}, {"settings", now}},
                    "impairment changed by " + peer + ": " + impairment::describe(s));
  return json(http::status::ok, now + "\n");
}

void admin_endpoint::do_accept() {
  acceptor_.async_accept(
      [this](const error_code& ec, tcp_socket socket) { on_accept(ec, std::move(socket)); });
}

void admin_endpoint::on_accept(const error_code& ec, tcp_socket socket) {
  if (!acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors, say: try again shortly rather than at once.
    log_.debug("admin: accept: " + lower_message(ec));
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
  const auto oldest = std::min_element(connections_->begin(), connections_->end(),
                                       [](const admin_connection* a, const admin_connection* b) {
                                         return a->last_progress() < b->last_progress();
                                       });
  log_.debug("admin: " + std::to_string(max_connections) +
             " connections open; closing the one idle longest for a new one");
  (*oldest)->close();
}

}  // namespace echo
