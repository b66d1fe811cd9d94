#pragma once
// test/support/udp_echo.py run for one test: a tiny UDP echo server (byte-exact, empty datagrams
// too, IPv4 or IPv6) that the client's UDP tests use while echo-server has no UDP side on this
// branch. The constructor starts it on port 0 and waits for its "listening on PORT" line; the
// destructor ends it (process sends SIGTERM, then SIGKILL).

#include "support/process.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace echo::test {

class udp_echo_server {
 public:
  // options: "--host ::1", "--drop-first N", "--drop-every K", "--flip-every K",
  // "--silent" (see udp_echo.py).
  // Throws std::runtime_error if it does not say where it listens within default_timeout.
  explicit udp_echo_server(const std::vector<std::string>& options = {});

  std::uint16_t port() const { return port_; }

 private:
  process process_;
  std::uint16_t port_ = 0;
};

// A UDP port on 127.0.0.1 that was free a moment ago, with nothing bound to it now: datagrams
// sent there draw an ICMP port unreachable.
std::uint16_t unused_udp_port();

}  // namespace echo::test
