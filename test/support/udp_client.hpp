#pragma once
// A UDP client on plain POSIX sockets, connected to one server address, so it receives only that
// address's datagrams. Every receive takes a deadline (the socket is non-blocking; waits are
// poll(2)). Move-only; closes on destruction.

#include "support/deadline.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace echo::test {

class udp_client {
 public:
  // A socket bound to `source` (an IPv4 or IPv6 literal; port 0: the kernel picks one) and
  // connected to host:port. Throws std::runtime_error naming the step that failed; bind_error()
  // tells a failed bind (EACCES for a low port, say) from the rest.
  static udp_client connect(const std::string& host, std::uint16_t port,
                            const std::string& source = {}, std::uint16_t source_port = 0);
  udp_client(udp_client&& other) noexcept;
  udp_client& operator=(udp_client&& other) noexcept;
  ~udp_client();

  int fd() const { return fd_; }
  std::uint16_t local_port() const;

  // Sends one datagram. Throws std::runtime_error if the kernel refuses it.
  void send(std::string_view datagram);
  // The next datagram, or nullopt at the deadline.
  std::optional<std::string> receive(deadline d = deadline::after_default());

 private:
  explicit udp_client(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Thrown by udp_client::connect when bind fails; `error` is its errno.
struct udp_bind_error : std::runtime_error {
  udp_bind_error(const std::string& what, int error_number)
      : std::runtime_error(what), error(error_number) {}
  int error;
};

// A client as udp_client::connect makes one, bound to a source port below 1024 (the first free
// one from 1000 on, the same address as host), or nullopt when this user may not bind one
// (EACCES: not root, or ip_unprivileged_port_start). Throws std::runtime_error otherwise.
std::optional<udp_client> udp_client_from_low_port(const std::string& host, std::uint16_t port);

}  // namespace echo::test
