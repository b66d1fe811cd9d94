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

udp_admission::udp_admission(const udp_settings& settings, const address_filter& access)
    : settings_(settings), access_(access) {
  if (settings_.rate_per_source != 0) per_source_.emplace(settings_.rate_per_source);
  if (settings_.rate != 0) whole_.emplace(settings_.rate);
}

std::optional<udp_drop> udp_admission::check(const sockaddr_storage& source,
                                             std::chrono::steady_clock::time_point now) {
  constexpr std::uint16_t first_unprivileged_port = 1024;
  if (!settings_.allow_low_ports && source_port(source) < first_unprivileged_port) {
    return udp_drop::low_port;
  }
  if (access_.is_empty() && !per_source_ && !whole_) return std::nullopt;
  const address_bytes address = to_address_bytes(source);
  if (!access_.is_empty() && !access_.permits(address)) return udp_drop::denied;
  if (per_source_ && !per_source_->allow(address, now)) return udp_drop::rate_limited;
  if (whole_ && !whole_->allow(now)) return udp_drop::rate_limited;
  return std::nullopt;
}

}  // namespace echo
