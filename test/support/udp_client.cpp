#include "support/udp_client.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

namespace echo::test {

namespace {

// The largest datagram there is (IPv6 payload), and one byte more to see a cut one.
constexpr std::size_t receive_size = 65536;

std::runtime_error socket_error(const std::string& what, int error) {
  return std::runtime_error(what + ": " + std::strerror(error));
}

using addrinfo_ptr = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

addrinfo_ptr resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found)) {
    throw std::runtime_error("address " + host + ": " + ::gai_strerror(rc));
  }
  return addrinfo_ptr(found, &::freeaddrinfo);
}

}  // namespace

udp_client udp_client::connect(const std::string& host, std::uint16_t port,
                               const std::string& source, std::uint16_t source_port) {
  const addrinfo_ptr server = resolve(host, port);
  const int fd = ::socket(server->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw socket_error("udp socket for " + host, errno);
  udp_client client(fd);
  if (!source.empty() || source_port != 0) {
    const addrinfo_ptr local = resolve(source.empty() ? host : source, source_port);
    if (::bind(fd, local->ai_addr, local->ai_addrlen) != 0) {
      const int error = errno;
      throw udp_bind_error(
          "udp bind to port " + std::to_string(source_port) + ": " + std::strerror(error), error);
    }
  }
  if (::connect(fd, server->ai_addr, server->ai_addrlen) != 0) {
    throw socket_error("udp connect to " + host + ":" + std::to_string(port), errno);
  }
  return client;
}

udp_client::udp_client(udp_client&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

udp_client& udp_client::operator=(udp_client&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

udp_client::~udp_client() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint16_t udp_client::local_port() const {
  sockaddr_storage local{};
  socklen_t size = sizeof local;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &size) != 0) return 0;
  return ntohs(local.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(local).sin_port
                                          : reinterpret_cast<sockaddr_in6&>(local).sin6_port);
}

void udp_client::send(std::string_view datagram) {
  // A datagram goes whole or not at all; EAGAIN on a full send buffer is retried by the caller's
  // loop, never here (a blaster wants to know).
  if (::send(fd_, datagram.data(), datagram.size(), 0) < 0) {
    throw socket_error("udp send of " + std::to_string(datagram.size()) + " bytes", errno);
  }
}

std::optional<std::string> udp_client::receive(deadline d) {
  std::string buffer(receive_size, '\0');
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n >= 0) {
      buffer.resize(static_cast<std::size_t>(n));
      return buffer;
    }
    // ECONNREFUSED: an ICMP port unreachable from an earlier send; not a datagram, wait on.
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNREFUSED) {
      throw socket_error("udp receive", errno);
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, d.poll_timeout_ms());
      if (ready == 0) return std::nullopt;
    }
    if (d.is_expired()) return std::nullopt;
  }
}

std::optional<udp_client> udp_client_from_low_port(const std::string& host, std::uint16_t port) {
  constexpr std::uint16_t first = 1000;
  constexpr std::uint16_t last = 1023;
  for (std::uint16_t source_port = first; source_port <= last; ++source_port) {
    try {
      return udp_client::connect(host, port, host, source_port);
    } catch (const udp_bind_error& e) {
      if (e.error == EACCES) return std::nullopt;
      if (e.error != EADDRINUSE) throw;
    }
  }
  throw std::runtime_error("udp: no free source port from " + std::to_string(first) + " to " +
                           std::to_string(last));
}

}  // namespace echo::test
