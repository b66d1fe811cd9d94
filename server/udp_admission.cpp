#include "server/udp_admission.hpp"

#include <netinet/in.h>

namespace echo {

namespace {

std::uint16_t source_port(const sockaddr_storage& source) {
  if (source.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(source).sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6&>(source).sin6_port);
}

}  // namespace

udp_admission::udp_admission(const udp_settings& settings) : settings_(settings) {}

std::optional<udp_drop> udp_admission::check(const sockaddr_storage& source,
                                             std::chrono::steady_clock::time_point /*now*/) {
  constexpr std::uint16_t first_unprivileged_port = 1024;
  if (!settings_.allow_low_ports && source_port(source) < first_unprivileged_port) {
    return udp_drop::low_port;
  }
  return std::nullopt;
}

}  // namespace echo
