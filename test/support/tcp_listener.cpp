#include "support/tcp_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace echo::test {

namespace {

std::runtime_error socket_error(const std::string& what, int error) {
  return std::runtime_error(what + ": " + std::strerror(error));
}

// A socket bound to host:0; its port is stored in `port`. Throws on failure.
int bind_any_port(const std::string& host, std::uint16_t& port) {
  sockaddr_storage address{};
  socklen_t length = 0;
  if (host.find(':') != std::string::npos) {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(address);
    v6.sin6_family = AF_INET6;
    if (::inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) != 1) {
      throw std::runtime_error("not an IPv6 literal: " + host);
    }
    length = sizeof v6;
  } else {
    auto& v4 = reinterpret_cast<sockaddr_in&>(address);
    v4.sin_family = AF_INET;
    if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) != 1) {
      throw std::runtime_error("not an IPv4 literal: " + host);
    }
    length = sizeof v4;
  }
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw socket_error("socket", errno);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    const int error = errno;
    ::close(fd);
    throw socket_error("bind " + host + ":0", error);
  }
  length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port =
      ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(address).sin6_port
                                          : reinterpret_cast<const sockaddr_in&>(address).sin_port);
  return fd;
}

}  // namespace

tcp_listener::tcp_listener(const std::string& host, int backlog) : host_(host) {
  fd_ = bind_any_port(host, port_);
  if (::listen(fd_, backlog) != 0) {
    const int error = errno;
    ::close(fd_);
    throw socket_error("listen", error);
  }
}

tcp_listener::~tcp_listener() { ::close(fd_); }

tcp_client tcp_listener::accept(deadline d) {
  for (;;) {
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) return tcp_client(fd);
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw socket_error("accept", errno);
    pollfd p{fd_, POLLIN, 0};
    const int n = ::poll(&p, 1, d.poll_timeout_ms());
    if (n == 0) throw std::runtime_error("accept: no connection came before the deadline");
    if (n < 0 && errno != EINTR) throw socket_error("poll", errno);
  }
}

unused_port::unused_port(const std::string& host) { fd_ = bind_any_port(host, port_); }

unused_port::~unused_port() { ::close(fd_); }

}  // namespace echo::test
