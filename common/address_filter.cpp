// The --allow/--deny matcher: strict CIDR parsing over inet_pton, and the per-family tries.

#include "common/address_filter.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

namespace echo {

namespace {

// The longest text either form can be: a full IPv6 address with an embedded IPv4 tail (45) plus
// "/128". Anything longer is refused before it is copied.
constexpr std::size_t max_text = 49;

unsigned max_prefix(address_family family) { return family == address_family::v4 ? 32 : 128; }

unsigned bit_at(const address_bytes& a, unsigned depth) {
  return (a.bytes[depth / 8] >> (7 - depth % 8)) & 1u;
}

// Zeroes every bit from prefix_length on.
void mask_host_bits(address_bytes& a, unsigned prefix_length) {
  for (unsigned i = prefix_length; i < 128; ++i) {
    if (i % 8 == 0 && i + 8 <= 128) {
      a.bytes[i / 8] = 0;
      i += 7;
    } else {
      a.bytes[i / 8] = static_cast<std::uint8_t>(a.bytes[i / 8] & ~(0x80u >> (i % 8)));
    }
  }
}

std::string describe_byte(char c) {
  if (c == ' ') return "a space";
  if (c >= 0x21 && c < 0x7f) return std::string("unexpected character '") + c + "'";
  return "a control or non-ASCII byte";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Dotted-quad octets: "0" is fine, "00" or "010" is not (octal to inet_aton, decimal to others).
bool has_leading_zero_octet(std::string_view v4) {
  std::size_t start = 0;
  while (start <= v4.size()) {
    const std::size_t dot = std::min(v4.find('.', start), v4.size());
    if (dot - start > 1 && v4[start] == '0' && is_digit(v4[start + 1])) return true;
    start = dot + 1;
  }
  return false;
}

// The address part of a rule, without any '/'. `text` holds only address characters.
std::optional<address_bytes> parse_host(std::string_view text, std::string& error) {
  if (text.empty()) {
    error = "missing address";
    return std::nullopt;
  }
  const bool is_v6 = text.find(':') != std::string_view::npos;
  const std::size_t tail = is_v6 ? text.rfind(':') + 1 : 0;  // IPv6 may end in a dotted quad
  if (has_leading_zero_octet(text.substr(tail)) && text.find('.', tail) != std::string_view::npos) {
    error = "leading zero in an IPv4 octet (octal or decimal?)";
    return std::nullopt;
  }
  std::array<char, max_text + 1> copy{};  // inet_pton wants a NUL-terminated string
  text.copy(copy.data(), text.size());
  if (is_v6) {
    in6_addr a;
    if (inet_pton(AF_INET6, copy.data(), &a) != 1) {
      error = "not an IPv6 address";
      return std::nullopt;
    }
    address_bytes raw;
    raw.family = address_family::v6;
    std::memcpy(raw.bytes.data(), a.s6_addr, 16);
    return raw;  // not normalized yet: the prefix length decides (see parse_cidr)
  }
  in_addr a;
  if (inet_pton(AF_INET, copy.data(), &a) != 1) {
    error = "not an IPv4 address";
    return std::nullopt;
  }
  return to_address_bytes(a);
}

// The prefix length after '/': plain decimal, no sign, no leading zero, within the family.
std::optional<unsigned> parse_prefix(std::string_view text, address_family family,
                                     std::string& error) {
  if (text.empty()) {
    error = "missing prefix length after '/'";
    return std::nullopt;
  }
  for (const char c : text) {
    if (!is_digit(c)) {
      error = "prefix length is not a decimal number";
      return std::nullopt;
    }
  }
  if (text.size() > 1 && text[0] == '0') {
    error = "leading zero in the prefix length";
    return std::nullopt;
  }
  const unsigned limit = max_prefix(family);
  unsigned value = 0;
  for (const char c : text) {
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > limit) break;  // also stops overflow on long digit strings
  }
  if (value > limit) {
    error = std::string("prefix length over ") + std::to_string(limit) +
            (family == address_family::v4 ? " (IPv4)" : " (IPv6)");
    return std::nullopt;
  }
  return value;
}

// Checks every byte, so the parsers below only ever see address characters.
bool has_only_rule_characters(std::string_view text, std::string& error) {
  for (const char c : text) {
    const bool is_hex = is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (c == '%') {
      error = "zone ids ('%') are not allowed";
      return false;
    }
    if (!is_hex && c != '.' && c != ':' && c != '/') {
      error = describe_byte(c);
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<cidr> parse_cidr(std::string_view text, std::string& error) {
  if (text.empty()) {
    error = "empty";
    return std::nullopt;
  }
  if (!has_only_rule_characters(text, error)) return std::nullopt;
  if (text.size() > max_text) {
    error = "too long for an address";
    return std::nullopt;
  }
  const std::size_t slash = text.find('/');
  if (slash != std::string_view::npos && text.find('/', slash + 1) != std::string_view::npos) {
    error = "more than one '/'";
    return std::nullopt;
  }
  auto host = parse_host(text.substr(0, slash), error);
  if (!host) return std::nullopt;
  cidr rule;
  rule.network = *host;
  rule.prefix_length = max_prefix(host->family);
  if (slash != std::string_view::npos) {
    const auto prefix = parse_prefix(text.substr(slash + 1), host->family, error);
    if (!prefix) return std::nullopt;
    rule.prefix_length = *prefix;
  }
  // ::ffff:a.b.c.d/N, N >= 96, covers IPv4-mapped addresses only: it is an IPv4 rule (the peers
  // it means are normalized to IPv4 before they are checked). A shorter prefix stays IPv6.
  if (rule.network.family == address_family::v6 && rule.prefix_length >= 96 &&
      is_v4_mapped(rule.network.bytes)) {
    rule.network = normalized(rule.network);
    rule.prefix_length -= 96;
  }
  mask_host_bits(rule.network, rule.prefix_length);
  return rule;
}

std::optional<address_bytes> parse_address_bytes(std::string_view text, std::string& error) {
  if (text.find('/') != std::string_view::npos) {
    error = "an address, not a CIDR, was expected";
    return std::nullopt;
  }
  const auto rule = parse_cidr(text, error);
  if (!rule) return std::nullopt;
  return rule->network;  // full length, so nothing was masked; mapped already turned to IPv4
}

std::string to_string(const cidr& rule) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const bool is_v4 = rule.network.family == address_family::v4;
  if (rule.network.family == address_family::none ||
      inet_ntop(is_v4 ? AF_INET : AF_INET6, rule.network.bytes.data(), text.data(),
                static_cast<socklen_t>(text.size())) == nullptr) {
    return "?";
  }
  return std::string(text.data()) + "/" + std::to_string(rule.prefix_length);
}

void address_filter::add_allow(const cidr& rule) {
  insert(rule.network.family == address_family::v4 ? v4_ : v6_, rule, false);
  has_allow_ = true;
}

void address_filter::add_deny(const cidr& rule) {
  insert(rule.network.family == address_family::v4 ? v4_ : v6_, rule, true);
  has_deny_ = true;
}

void address_filter::insert(trie& t, const cidr& rule, bool is_deny) {
  if (t.empty()) t.emplace_back();
  std::uint32_t at = 0;
  for (unsigned depth = 0;; ++depth) {
    // By index, not by reference: emplace_back below may move the nodes.
    (is_deny ? t[at].deny_below : t[at].allow_below) = true;
    if (depth == rule.prefix_length) break;
    const unsigned bit = bit_at(rule.network, depth);
    if (t[at].child[bit] == 0) {
      t[at].child[bit] = static_cast<std::uint32_t>(t.size());
      t.emplace_back();
    }
    at = t[at].child[bit];
  }
  (is_deny ? t[at].deny : t[at].allow) = true;
}

bool address_filter::permits(const address_bytes& peer) const {
  if (is_empty()) return true;
  const address_bytes a = normalized(peer);
  const trie* t = a.family == address_family::v4   ? &v4_
                  : a.family == address_family::v6 ? &v6_
                                                   : nullptr;
  bool allowed = false;
  if (t != nullptr && !t->empty()) {
    const unsigned bits = max_prefix(a.family);
    std::uint32_t at = 0;
    for (unsigned depth = 0; depth <= bits; ++depth) {
      const node& n = (*t)[at];
      if (n.deny) return false;  // deny wins over any allow, shorter or longer
      allowed = allowed || n.allow;
      // Nothing below can change the verdict: no deny deeper, and no allow that would matter.
      if (!n.deny_below && (allowed || !n.allow_below)) break;
      if (depth == bits) break;
      at = n.child[bit_at(a, depth)];
      if (at == 0) break;
    }
  }
  return allowed || !has_allow_;
}

}  // namespace echo
