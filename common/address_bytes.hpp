#pragma once
// An IP address as plain bytes, what the address filter and the UDP rate limiters take: a tiny
// POD the server fills from its endpoints (sockaddr_storage from recvmmsg, in_addr/in6_addr, or
// Asio's to_bytes() arrays) without allocating. Header-only; needs only <netinet/in.h>.
//
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack socket on :: reports for an IPv4
// peer) are stored as IPv4: every maker below normalizes them, and so does normalized() for an
// address_bytes filled by hand. So an IPv4 rule or key applies to an IPv4 peer however it came.

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace echo {

enum class address_family : std::uint8_t { none, v4, v6 };

struct address_bytes {
  address_family family = address_family::none;  // none: not an IP address (e.g. a Unix socket)
  // Network byte order. IPv4 uses bytes[0..3]; the rest stays zero.
  std::array<std::uint8_t, 16> bytes{};

  bool operator==(const address_bytes& o) const { return family == o.family && bytes == o.bytes; }
  bool operator!=(const address_bytes& o) const { return !(*this == o); }
};

// True for ::ffff:a.b.c.d.
inline bool is_v4_mapped(const std::array<std::uint8_t, 16>& b) {
  for (std::size_t i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

inline address_bytes make_v4_address(const std::array<std::uint8_t, 4>& b) {
  address_bytes a;
  a.family = address_family::v4;
  std::memcpy(a.bytes.data(), b.data(), 4);
  return a;
}

// An IPv4-mapped address comes back as IPv4.
inline address_bytes make_v6_address(const std::array<std::uint8_t, 16>& b) {
  if (is_v4_mapped(b)) return make_v4_address({b[12], b[13], b[14], b[15]});
  address_bytes a;
  a.family = address_family::v6;
  a.bytes = b;
  return a;
}

// The same address with an IPv4-mapped IPv6 address turned into IPv4; anything else unchanged.
inline address_bytes normalized(const address_bytes& a) {
  return a.family == address_family::v6 ? make_v6_address(a.bytes) : a;
}

inline address_bytes to_address_bytes(const in_addr& in) {
  std::array<std::uint8_t, 4> b;
  std::memcpy(b.data(), &in.s_addr, 4);  // s_addr is already in network order
  return make_v4_address(b);
}

inline address_bytes to_address_bytes(const in6_addr& in) {
  std::array<std::uint8_t, 16> b;
  std::memcpy(b.data(), in.s6_addr, 16);
  return make_v6_address(b);
}

// AF_INET and AF_INET6 give their address; any other family gives family none.
inline address_bytes to_address_bytes(const sockaddr_storage& s) {
  if (s.ss_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, &s, sizeof in);
    return to_address_bytes(in.sin_addr);
  }
  if (s.ss_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &s, sizeof in6);
    return to_address_bytes(in6.sin6_addr);
  }
  return {};
}

}  // namespace echo
