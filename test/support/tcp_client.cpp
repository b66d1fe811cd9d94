#include "support/tcp_client.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace echo::test {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;

std::runtime_error socket_error(const std::string& what, int error) {
  return std::runtime_error(what + ": " + std::strerror(error));
}

// Waits for `events` on fd; false at the deadline.
bool wait_for(int fd, short events, deadline d) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, d.poll_timeout_ms());
    if (n > 0) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

}  // namespace

tcp_client tcp_client::connect(const std::string& host, std::uint16_t port, deadline d) {
  return connect_from({}, host, port, d);
}

tcp_client tcp_client::connect_from(const std::string& source, const std::string& host,
                                    std::uint16_t port, deadline d) {
  const std::string where =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found)) {
    throw std::runtime_error("connect to " + where + ": " + ::gai_strerror(rc));
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int error = errno;
    ::freeaddrinfo(found);
    throw socket_error("socket for " + where, error);
  }
  tcp_client client(fd);
  if (!source.empty()) {
    addrinfo* local = nullptr;
    if (const int rc = ::getaddrinfo(source.c_str(), "0", &hints, &local)) {
      ::freeaddrinfo(found);
      throw std::runtime_error("bind to " + source + ": " + ::gai_strerror(rc));
    }
    const int bound = ::bind(fd, local->ai_addr, local->ai_addrlen);
    const int bind_errno = errno;
    ::freeaddrinfo(local);
    if (bound != 0) {
      ::freeaddrinfo(found);
      throw socket_error("bind to " + source, bind_errno);
    }
  }
  const int rc = ::connect(fd, found->ai_addr, found->ai_addrlen);
  const int connect_errno = errno;
  ::freeaddrinfo(found);
  if (rc != 0 && connect_errno != EINPROGRESS)
    throw socket_error("connect to " + where, connect_errno);
  if (rc != 0) {
    if (!wait_for(fd, POLLOUT, d)) throw std::runtime_error("connect to " + where + ": timed out");
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) throw socket_error("connect to " + where, error);
  }
  return client;
}

tcp_client::tcp_client(tcp_client&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

tcp_client& tcp_client::operator=(tcp_client&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

tcp_client::~tcp_client() { close(); }

std::string tcp_client::local_endpoint() const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(v6.sin6_port));
  }
  const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
  ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
  return std::string(text) + ":" + std::to_string(ntohs(v4.sin_port));
}

void tcp_client::send_all(std::string_view bytes, deadline d) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) throw socket_error("send", errno);
    if (!wait_for(fd_, POLLOUT, d)) throw std::runtime_error("send: timed out");
  }
}

std::size_t tcp_client::send_until_stalled(deadline d, std::chrono::milliseconds probe) {
  const std::string chunk(64 * 1024, 's');
  std::size_t sent = 0;
  while (!d.is_expired()) {
    const ssize_t n = ::send(fd_, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
    if (!wait_for(fd_, POLLOUT, d.or_earlier(deadline::in(probe)))) break;
  }
  return sent;
}

void tcp_client::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

template <class IsEnough>
read_result tcp_client::read_while_not(IsEnough is_enough, deadline d) {
  read_result result;
  char buffer[read_chunk];
  while (!is_enough(result.data)) {
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      result.data.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      result.is_eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      result.error = errno;
      break;
    }
    if (!wait_for(fd_, POLLIN, d)) {
      result.is_timed_out = true;
      break;
    }
  }
  return result;
}

read_result tcp_client::read(std::size_t size, deadline d) {
  return read_while_not([size](const std::string& data) { return data.size() >= size; }, d);
}

read_result tcp_client::read_until(std::string_view text, deadline d) {
  return read_while_not(
      [text](const std::string& data) { return data.find(text) != std::string::npos; }, d);
}

read_result tcp_client::read_until_eof(deadline d) {
  return read_while_not([](const std::string&) { return false; }, d);
}

void tcp_client::reset() {
  if (fd_ < 0) return;
  const linger abort_on_close{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  close();
}

void tcp_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool has_ipv6_loopback() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace echo::test
