#include "server/listener.hpp"

#include "common/endpoint.hpp"
#include "common/errors.hpp"

#include <boost/asio/socket_base.hpp>

namespace echo {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

listener::listener(asio::io_context& context, const logger& log, accept_handler on_accept)
    : acceptor_(context), retry_timer_(context), log_(log), on_accept_(std::move(on_accept)) {}

std::optional<std::string> listener::open(const tcp::endpoint& endpoint) {
  const std::string where = format_endpoint(endpoint);
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  // SO_REUSEADDR lets a restarted server bind while old connections sit in TIME_WAIT; it does
  // not let two servers share a port (that would need SO_REUSEPORT).
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return describe_listen_error(ec, where);
  }
  return std::nullopt;
}

tcp::endpoint listener::local_endpoint() const {
  error_code ec;
  return acceptor_.local_endpoint(ec);
}

void listener::start() { do_accept(); }

void listener::close() {
  error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
}

void listener::do_accept() {
  acceptor_.async_accept(
      [this](const error_code& ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void listener::on_accept(const error_code& ec, tcp::socket socket) {
  if (!acceptor_.is_open()) return;  // closed for shutdown
  if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
      ec == asio::error::no_memory || ec == boost::system::errc::too_many_files_open_in_system) {
    // Out of descriptors or memory: accepting again at once would fail again at once, so wait.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_exhaustion_log_ >= std::chrono::seconds(1)) {
      last_exhaustion_log_ = now;
      log_.warning("cannot accept: " + lower_message(ec) + "; retrying");
    }
    retry_timer_.expires_after(accept_retry_delay);
    retry_timer_.async_wait([this](const error_code& wait_ec) {
      if (!wait_ec) do_accept();
    });
    return;
  }
  if (ec) {
    // A connection that died in the backlog (ECONNABORTED) and the like: nothing to serve.
    log_.debug("accept: " + lower_message(ec));
  } else {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    on_accept_(std::move(socket));
  }
  do_accept();
}

}  // namespace echo
