#pragma once
// Who may use the server: the --allow and --deny CIDR rules (repeatable, IPv4 and IPv6, as ncat's
// --allow/--deny and xinetd's only_from/no_access). Built once at start-up by the options code
// (parse_cidr on each rule, then add_allow/add_deny), then only read: each reactor checks every
// accepted connection (or its PROXY header's source) and every datagram with permits(). No I/O.
//
// Verdict: a matching deny rule always wins; otherwise an address is permitted when an allow rule
// matches it, or when there is no allow rule at all. So deny-only is a block list, any allow makes
// an allow list, and an empty filter permits everything (is_empty() lets the caller skip it).
//
// Families: IPv4 rules match IPv4 peers, including IPv4-mapped ones (::ffff:a.b.c.d, normalized by
// address_bytes.hpp), and never a true IPv6 address; IPv6 rules match true IPv6 peers only. So
// `--deny ::/0` blocks IPv6 clients but not IPv4 ones arriving on a dual-stack socket, and a rule
// written as ::ffff:a.b.c.d/N with N >= 96 is the IPv4 rule a.b.c.d/(N-96). An address of family
// none (not IP) matches no rule: it is permitted unless some allow rule exists.
//
// Cost: one binary trie per family, nodes in one vector, walked bit by bit from the most
// significant and left as soon as the verdict is known: at most 33 (IPv4) or 129 (IPv6) nodes per
// check whatever the number of rules, no allocation, no scan over rules. Memory: at most one node
// (12 bytes) per rule per prefix bit, e.g. 1.5 MB for 1,000 IPv6 /128 rules.

#include "common/address_bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace echo {

// One parsed rule. Bits of the address past prefix_length are zero (see parse_cidr).
struct cidr {
  address_bytes network;
  unsigned prefix_length = 0;  // 0..32 for IPv4, 0..128 for IPv6

  bool operator==(const cidr& o) const {
    return network == o.network && prefix_length == o.prefix_length;
  }
};

// Parses "10.0.0.0/8", "192.0.2.7" (= /32), "2001:db8::/32" or "::1" (= /128). Addresses go
// through inet_pton, so IPv4 is strictly four decimal octets and IPv6 any RFC 4291 text form.
// Host bits past the prefix are accepted and masked off, as iptables and ncat do: "10.1.2.3/8" is
// 10.0.0.0/8 (to_string shows what was kept). Refused, with a one-line reason in `error` (plain
// ASCII; it does not repeat the text, so the caller names the rule as it sees fit): empty text,
// spaces or any other stray byte, a missing address or prefix, a prefix that is not plain decimal
// ("/08", "/+8") or is over 32 (IPv4) or 128 (IPv6), an octet with a leading zero ("010.0.0.1":
// octal to some parsers, decimal to others), a zone id ("fe80::1%eth0"), and anything inet_pton
// refuses.
std::optional<cidr> parse_cidr(std::string_view text, std::string& error);

// A single address with the same rules and wording (no '/' allowed), e.g. the source address of
// a PROXY header. IPv4-mapped IPv6 comes back as IPv4.
std::optional<address_bytes> parse_address_bytes(std::string_view text, std::string& error);

// "10.0.0.0/8", "2001:db8::/32": the canonical text (inet_ntop) and the prefix, always shown.
std::string to_string(const cidr& rule);

class address_filter {
 public:
  void add_allow(const cidr& rule);
  void add_deny(const cidr& rule);

  // No rule at all: permits() would say yes to everything.
  bool is_empty() const { return !has_allow_ && !has_deny_; }

  // The verdict for a peer (see the top of this file). Allocation-free, bounded steps.
  bool permits(const address_bytes& peer) const;

 private:
  struct node {
    std::uint32_t child[2] = {0, 0};  // index in the trie's vector; 0 = none (0 is the root)
    bool allow = false;               // an allow rule ends here
    bool deny = false;                // a deny rule ends here
    bool allow_below = false;         // an allow rule ends here or deeper
    bool deny_below = false;          // a deny rule ends here or deeper
  };
  using trie = std::vector<node>;

  static void insert(trie& t, const cidr& rule, bool is_deny);

  trie v4_, v6_;
  bool has_allow_ = false;
  bool has_deny_ = false;
};

}  // namespace echo
