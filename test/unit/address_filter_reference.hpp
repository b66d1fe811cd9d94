#pragma once
// The obvious address filter, for checking the real one (test_address_filter.cpp's property test
// and fuzz_address_filter): every rule scanned, every prefix byte compared. Header-only, test-only.

#include "common/address_filter.hpp"

#include <vector>

namespace echo::test {

struct reference_rule {
  cidr rule;
  bool is_deny = false;
};

inline bool reference_matches(const cidr& rule, const address_bytes& peer) {
  const address_bytes a = normalized(peer);
  if (a.family != rule.network.family || a.family == address_family::none) return false;
  const unsigned whole = rule.prefix_length / 8, rest = rule.prefix_length % 8;
  for (unsigned i = 0; i < whole; ++i) {
    if (a.bytes[i] != rule.network.bytes[i]) return false;
  }
  const unsigned mask = (0xff00u >> rest) & 0xffu;  // the first `rest` bits of the next byte
  return rest == 0 || ((a.bytes[whole] ^ rule.network.bytes[whole]) & mask) == 0;
}

// A matching deny wins; else a matching allow permits; else only a filter without allows permits.
inline bool reference_permits(const std::vector<reference_rule>& rules, const address_bytes& peer) {
  bool has_allow = false;
  bool allowed = false;
  for (const auto& r : rules) {
    has_allow = has_allow || !r.is_deny;
    if (!reference_matches(r.rule, peer)) continue;
    if (r.is_deny) return false;
    allowed = true;
  }
  return allowed || !has_allow;
}

}  // namespace echo::test
