#pragma once
// Which datagrams the UDP echo answers: the checks one datagram passes before any reply is built,
// in the order they cost, each a lookup, never a scan. A datagram that fails one is dropped and
// counted under the reason returned; nothing is sent back, so a spoofed source learns nothing.
//
//   low port   source port 0 or below 1024 (unless allow_low_ports): echo <-> chargen/echo loops
//              and reflection off well-known services start there
//   --deny / --allow   the same filter the TCP listener applies at accept
//   --udp-rate-per-source   datagrams/s per source address (IPv6: per /64), in a bounded table
//   --udp-rate         datagrams/s for the whole reactor
// The per-source limit comes first, so that one flooding source spends its own budget only, not
// everyone's.

#include "common/address_filter.hpp"
#include "server/stats.hpp"
#include "server/udp_rate_limit.hpp"

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <optional>

namespace echo {

struct udp_settings {
  bool allow_low_ports = false;     // --udp-allow-low-ports
  std::size_t rate = 0;             // --udp-rate: datagrams/s, whole reactor; 0: no limit
  std::size_t rate_per_source = 0;  // --udp-rate-per-source: datagrams/s; 0: no limit
};

class udp_admission {
 public:
  // `access`: --allow/--deny, shared with the TCP side; it must outlive this object.
  udp_admission(const udp_settings& settings, const address_filter& access);

  // nullopt: answer it; otherwise why it is dropped.
  std::optional<udp_drop> check(const sockaddr_storage& source,
                                std::chrono::steady_clock::time_point now);

 private:
  const udp_settings& settings_;
  const address_filter& access_;
  std::optional<per_source_limiter> per_source_;  // with --udp-rate-per-source
  std::optional<token_bucket> whole_;             // with --udp-rate
};

}  // namespace echo
