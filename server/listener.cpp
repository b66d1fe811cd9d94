#include "server/listener.hpp"

#include "common/endpoint.hpp"
#include "common/errors.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/socket_base.hpp>

namespace echo {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

int open_spare() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

listener::listener(asio::io_context& context, const logger& log, stats& counters,
                   accept_handler on_accept)
    : acceptor_(context.get_executor()),
      retry_timer_(context.get_executor()),
      log_(log),
      counters_(counters),
      on_accept_(std::move(on_accept)),
      spare_fd_(open_spare()) {}

listener::~listener() {
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

std::optional<std::string> listener::open(const tcp::endpoint& endpoint, bool is_port_shared) {
  const std::string where = format_endpoint(endpoint);
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  // SO_REUSEADDR lets a restarted server bind while old connections sit in TIME_WAIT; it does
  // not let two servers share a port (that would need SO_REUSEPORT).
  if (!ec) acceptor_.set_option(tcp_acceptor::reuse_address(true), ec);
  if (!ec && is_port_shared) acceptor_.set_option(reuse_port(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return describe_listen_error(ec, where);
  }
  return std::nullopt;
}

std::optional<std::string> listener::adopt(int fd) {
  const std::string what = "descriptor " + std::to_string(fd) + " passed by socket activation";
  const int domain = socket_option(fd, SO_DOMAIN);
  if (socket_option(fd, SO_TYPE) != SOCK_STREAM || socket_option(fd, SO_PROTOCOL) != IPPROTO_TCP ||
      (domain != AF_INET && domain != AF_INET6)) {
    return what + " is not a TCP socket (ListenStream= needs an address or a port)";
  }
  if (socket_option(fd, SO_ACCEPTCONN) != 1) return what + " is not listening";
  error_code ec;
  acceptor_.assign(domain == AF_INET ? tcp::v4() : tcp::v6(), fd, ec);
  if (ec) return "cannot use " + what + ": " + lower_message(ec);
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
      [this](const error_code& ec, tcp_socket socket) { on_accept(ec, std::move(socket)); });
}

void listener::on_accept(const error_code& ec, tcp_socket socket) {
  if (!acceptor_.is_open()) return;  // closed for shutdown
  const bool is_out_of_descriptors =
      ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system;
  if (is_out_of_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
    const spare_outcome outcome =
        is_out_of_descriptors ? refuse_with_spare_descriptor() : spare_outcome::no_spare;
    if (outcome != spare_outcome::nobody_waiting && exhaustion_log_.admit()) {
      const bool is_refused = outcome == spare_outcome::refused;
      log_.event(log_level::warning, is_refused ? "refused" : "accept_failed",
                 {{"reason", is_refused ? "fd_exhausted" : "accept_failed"},
                  {"error", lower_message(ec)},
                  {"held_back", exhaustion_log_.held_back()}},
                 "cannot accept: " + lower_message(ec) +
                     (is_refused ? "; refused a connection" : "; retrying") +
                     held_back_note(exhaustion_log_.held_back()));
    }
    // A client left in the backlog would wait for nothing, so it was answered at once; each
    // refusal takes one client off the backlog, so this ends when the backlog is empty.
    if (outcome == spare_outcome::refused) return do_accept();
    // Linux reports EMFILE before it looks at the backlog: wait until a client is really there,
    // rather than polling accept().
    if (outcome == spare_outcome::nobody_waiting) return do_await_client();
    // No spare, or out of memory: accepting again at once would fail again at once, so wait.
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
    // Urgent data (telnet's Synch, any MSG_OOB send) stays in the stream, in order: without this
    // the kernel takes the urgent byte out of band, where no read of ours would ever see it.
    socket.set_option(asio::socket_base::out_of_band_inline(true), ignored);
    on_accept_(std::move(socket));
  }
  do_accept();
}

void listener::do_await_client() {
  acceptor_.async_wait(tcp_acceptor::wait_read, [this](const error_code& ec) {
    if (!ec) do_accept();
  });
}

// Gives up the spare descriptor for a moment to accept the waiting client, tell it why, and
// close it.
listener::spare_outcome listener::refuse_with_spare_descriptor() {
  if (spare_fd_ < 0) return spare_outcome::no_spare;
  ::close(spare_fd_);
  const int client = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
  if (client >= 0) {
    // Best effort: the socket buffer of a new connection always has room for one short line.
    if (!is_refusal_silent_) {
      [[maybe_unused]] const auto sent =
          ::send(client, refusal.data(), refusal.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    ::close(client);
    counters_.count_refusal(refusal::fd_exhausted);
  }
  spare_fd_ = open_spare();
  return client >= 0 ? spare_outcome::refused : spare_outcome::nobody_waiting;
}

}  // namespace echo
