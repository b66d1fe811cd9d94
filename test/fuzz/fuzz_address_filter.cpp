// libFuzzer target for parse_cidr, parse_address_bytes and address_filter. Input layout: text lines
// up to the first NUL byte, each a rule ('-' first: deny, else allow; the rest, or the whole line
// when it starts with neither '+' nor '-', is the CIDR text), then 17-byte records of addresses to
// check (family byte: 0 v4, 1 v6, 2 none, by its value mod 3; then 16 address bytes). Every
// parse must keep parse_cidr's contract (a masked prefix within its family that prints and parses
// back to itself, or a one-line printable reason), and the filter must give the verdict of the
// naive scan (test/unit/address_filter_reference.hpp) for every record and for addresses at the
// edges of each rule: its network, its last bits flipped, its IPv4-mapped form.

#include "common/address_filter.hpp"

#include "../unit/address_filter_reference.hpp"
#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using echo::address_bytes;
using echo::address_family;
using echo::cidr;
using echo::fuzz::require;
using echo::test::reference_rule;

unsigned bits_of(address_family f) { return f == address_family::v4 ? 32 : 128; }

void check_error(const std::string& error) {
  require(!error.empty());
  for (const char c : error) require(c >= 0x20 && c < 0x7f);
}

// parse_cidr's contract for one text; returns the rule when it parsed.
std::optional<cidr> parse_checked(std::string_view text) {
  std::string error;
  const auto rule = echo::parse_cidr(text, error);
  std::string address_error;
  const auto address = echo::parse_address_bytes(text, address_error);
  if (!rule) {
    check_error(error);
    require(!address);
    return rule;
  }
  const address_family f = rule->network.family;
  require(f == address_family::v4 || f == address_family::v6);
  require(rule->prefix_length <= bits_of(f));
  require(echo::normalized(rule->network) == rule->network);  // never an IPv4-mapped IPv6 rule
  for (unsigned i = rule->prefix_length; i < 128; ++i) {
    require(((rule->network.bytes[i / 8] >> (7 - i % 8)) & 1u) == 0);
  }
  // What to_string shows (print-config) parses back to the same rule.
  std::string again_error;
  const auto again = echo::parse_cidr(echo::to_string(*rule), again_error);
  require(again && *again == *rule);
  // A single address parses alike, with no '/' and the full length; with a '/', never.
  if (text.find('/') == std::string_view::npos) {
    require(address && *address == rule->network && rule->prefix_length == bits_of(f));
  } else {
    require(!address);
    check_error(address_error);
  }
  return rule;
}

// The addresses at the edges of a rule: where the walk ends, turns, or changes family.
void add_edges(const cidr& rule, std::vector<address_bytes>& peers) {
  address_bytes a = rule.network;
  peers.push_back(a);
  const unsigned bits = bits_of(a.family);
  if (rule.prefix_length > 0) {
    address_bytes flipped = a;
    const unsigned i = rule.prefix_length - 1;
    flipped.bytes[i / 8] = static_cast<std::uint8_t>(flipped.bytes[i / 8] ^ (0x80u >> (i % 8)));
    peers.push_back(flipped);
  }
  address_bytes filled = a;
  for (unsigned i = rule.prefix_length; i < bits; ++i) {
    filled.bytes[i / 8] = static_cast<std::uint8_t>(filled.bytes[i / 8] | (0x80u >> (i % 8)));
  }
  peers.push_back(filled);
  if (a.family == address_family::v4) {
    address_bytes mapped;
    mapped.family = address_family::v6;
    mapped.bytes[10] = mapped.bytes[11] = 0xff;
    std::memcpy(mapped.bytes.data() + 12, a.bytes.data(), 4);
    peers.push_back(mapped);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  std::string_view text = input.substr(0, nul);
  const std::string_view records = nul == std::string_view::npos ? "" : input.substr(nul + 1);

  echo::address_filter filter;
  std::vector<reference_rule> rules;
  std::vector<address_bytes> peers;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? "" : text.substr(end + 1);
    const bool is_deny = !line.empty() && line[0] == '-';
    if (!line.empty() && (line[0] == '-' || line[0] == '+')) line.remove_prefix(1);
    const auto rule = parse_checked(line);
    if (!rule) continue;
    (is_deny ? filter.add_deny(*rule) : filter.add_allow(*rule));
    rules.push_back({*rule, is_deny});
    add_edges(*rule, peers);
  }
  require(filter.is_empty() == rules.empty());

  for (std::size_t at = 0; at + 17 <= records.size(); at += 17) {
    address_bytes a;
    a.family = static_cast<address_family>(static_cast<unsigned char>(records[at]) % 3);
    std::memcpy(a.bytes.data(), records.data() + at + 1, 16);
    if (a.family == address_family::v4) std::memset(a.bytes.data() + 4, 0, 12);
    peers.push_back(a);
  }
  for (const auto& p : peers) require(filter.permits(p) == echo::test::reference_permits(rules, p));
  return 0;
}
