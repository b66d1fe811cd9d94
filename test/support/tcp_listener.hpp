#pragma once
// The server side of a test's own: a listening socket on a loopback address and a free port, for
// fake servers that misbehave on purpose (never reply, send first, reset mid-transfer), and a port
// that is bound but never listens, for "connection refused". Connections accepted are tcp_clients,
// so a fake server uses the same deadline-bound send, read and reset calls as a client.

#include "support/deadline.hpp"
#include "support/tcp_client.hpp"

#include <cstdint>
#include <string>

namespace echo::test {

class tcp_listener {
 public:
  // Listens on `host` ("127.0.0.1" or "::1"), port 0. A small `backlog` (0) lets a test fill the
  // accept queue so that further connection attempts hang. Throws std::runtime_error on failure.
  explicit tcp_listener(const std::string& host = "127.0.0.1", int backlog = 16);
  ~tcp_listener();
  tcp_listener(const tcp_listener&) = delete;
  tcp_listener& operator=(const tcp_listener&) = delete;

  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }

  // Accepts one connection, non-blocking like any tcp_client. Throws std::runtime_error at the
  // deadline.
  tcp_client accept(deadline d = deadline::after_default());

 private:
  int fd_ = -1;
  std::string host_;
  std::uint16_t port_ = 0;
};

// A free port on `host` (127.0.0.1 unless told) where nothing listens: the socket is bound (so no
// other program takes the port while the test runs) but never listens, so connecting is refused at
// once.
class unused_port {
 public:
  explicit unused_port(const std::string& host = "127.0.0.1");
  ~unused_port();
  unused_port(const unused_port&) = delete;
  unused_port& operator=(const unused_port&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace echo::test
