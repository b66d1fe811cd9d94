// address_filter and parse_cidr: what a rule may look like (and the reason for each refusal), the
// verdicts (deny wins, any allow makes an allow list, IPv4-mapped peers are IPv4, /0 rules,
// overlaps), the sockaddr helpers, and 1,000 random rules against the naive scan of
// address_filter_reference.hpp.

#include "common/address_filter.hpp"

#include "address_filter_reference.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using echo::address_bytes;
using echo::address_family;
using echo::address_filter;
using echo::cidr;
using echo::test::reference_permits;
using echo::test::reference_rule;
using namespace std::string_literals;  // "\0"s keeps embedded NULs

cidr rule(std::string_view text) {
  std::string error;
  const auto parsed = echo::parse_cidr(text, error);
  INFO(text << ": " << error);
  REQUIRE(parsed);
  return *parsed;
}

// An address as a server would fill it: inet_pton, then the in_addr/in6_addr helper.
address_bytes peer(const std::string& text) {
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return echo::to_address_bytes(v4);
  in6_addr v6;
  REQUIRE(inet_pton(AF_INET6, text.c_str(), &v6) == 1);
  return echo::to_address_bytes(v6);
}

// The IPv6 bytes of `text` as they are, not normalized: what a careless caller might pass.
address_bytes raw_v6(const std::string& text) {
  in6_addr v6;
  REQUIRE(inet_pton(AF_INET6, text.c_str(), &v6) == 1);
  address_bytes a;
  a.family = address_family::v6;
  std::memcpy(a.bytes.data(), v6.s6_addr, 16);
  return a;
}

// inet_ntop's text of an address (a mapped one as ::ffff:a.b.c.d).
std::string show(const address_bytes& a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.family == address_family::v4 ? AF_INET : AF_INET6, a.bytes.data(), text, sizeof text);
  return text;
}

address_filter make_filter(const std::vector<std::string>& allow,
                           const std::vector<std::string>& deny) {
  address_filter f;
  for (const auto& a : allow) f.add_allow(rule(a));
  for (const auto& d : deny) f.add_deny(rule(d));
  return f;
}

}  // namespace

TEST_CASE("parse_cidr: accepted forms and what they mean", "[address_filter]") {
  struct row {
    std::string_view text, shown;
  };
  const row rows[] = {
      {"10.0.0.0/8", "10.0.0.0/8"},
      {"192.0.2.7", "192.0.2.7/32"},
      {"2001:db8::/32", "2001:db8::/32"},
      {"::1", "::1/128"},
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"::/0", "::/0"},
      {"0.0.0.0", "0.0.0.0/32"},
      {"255.255.255.255/31", "255.255.255.254/31"},
      // Host bits past the prefix are masked, as iptables and ncat do.
      {"10.1.2.3/8", "10.0.0.0/8"},
      {"1.2.3.4/0", "0.0.0.0/0"},
      {"2001:DB8:0:0:1::1/64", "2001:db8::/64"},
      {"2001:0db8::/32", "2001:db8::/32"},
      {"fe80::1/10", "fe80::/10"},
      // IPv4-mapped with a prefix of 96 or more is an IPv4 rule; shorter stays IPv6.
      {"::ffff:192.0.2.1", "192.0.2.1/32"},
      {"::ffff:192.0.2.0/120", "192.0.2.0/24"},
      {"::ffff:0:0/96", "0.0.0.0/0"},
      {"::ffff:0:0/95", "::fffe:0:0/95"},
  };
  for (const auto& r : rows) {
    std::string error;
    const auto parsed = echo::parse_cidr(r.text, error);
    INFO(r.text << ": " << error);
    REQUIRE(parsed);
    CHECK(echo::to_string(*parsed) == r.shown);
    CHECK(error.empty());
  }
}

TEST_CASE("parse_cidr: refused forms, each with its one-line reason", "[address_filter]") {
  struct row {
    std::string text, reason;
  };
  const row rows[] = {
      {"", "empty"},
      {" 10.0.0.0/8", "a space"},
      {"10.0.0.0/8 ", "a space"},
      {"10.0.0.0 /8", "a space"},
      {"10.0.0.0/8\n", "a control or non-ASCII byte"},
      {"10.0.0.0\0/8"s, "a control or non-ASCII byte"},
      {"10.0.0.0/\xc2\xb9", "a control or non-ASCII byte"},
      {"10.0.0.0/33", "prefix length over 32 (IPv4)"},
      {"::/129", "prefix length over 128 (IPv6)"},
      {"::/99999999999999999999999", "prefix length over 128 (IPv6)"},
      {"10.0.0.0/08", "leading zero in the prefix length"},
      {"0.0.0.0/00", "leading zero in the prefix length"},
      {"10.0.0.0/+8", "unexpected character '+'"},
      {"10.0.0.0/-1", "unexpected character '-'"},
      {"2001:db8::/3a", "prefix length is not a decimal number"},
      {"10.0.0.0/", "missing prefix length after '/'"},
      {"/8", "missing address"},
      {"10.0.0.0/8/8", "more than one '/'"},
      {"010.0.0.1", "leading zero in an IPv4 octet (octal or decimal?)"},
      {"10.0.0.01/32", "leading zero in an IPv4 octet (octal or decimal?)"},
      {"10.0.0.00", "leading zero in an IPv4 octet (octal or decimal?)"},
      {"::ffff:010.0.0.1", "leading zero in an IPv4 octet (octal or decimal?)"},
      {"fe80::1%eth0", "zone ids ('%') are not allowed"},
      {"fe80::1%1/64", "zone ids ('%') are not allowed"},
      {"10.0.0", "not an IPv4 address"},
      {"1.2.3.4.5", "not an IPv4 address"},
      {"256.0.0.0", "not an IPv4 address"},
      {"abc", "not an IPv4 address"},
      {"0x0a.0.0.0", "unexpected character 'x'"},
      {"localhost", "unexpected character 'l'"},
      {"1::2::3", "not an IPv6 address"},
      {"1:2:3:4:5:6:7:8:9", "not an IPv6 address"},
      {"12345::", "not an IPv6 address"},
      {"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa/128", "too long for an address"},
  };
  for (const auto& r : rows) {
    std::string error;
    const auto parsed = echo::parse_cidr(r.text, error);
    INFO("'" << r.text << "'");
    CHECK_FALSE(parsed);
    CHECK(error == r.reason);
  }
}

TEST_CASE("parse_address_bytes: one address, IPv4-mapped as IPv4, no prefix", "[address_filter]") {
  std::string error;
  CHECK(echo::parse_address_bytes("192.0.2.1", error) == peer("192.0.2.1"));
  CHECK(echo::parse_address_bytes("::ffff:192.0.2.1", error) == peer("192.0.2.1"));
  CHECK(echo::parse_address_bytes("::ffff:192.0.2.1", error)->family == address_family::v4);
  CHECK(echo::parse_address_bytes("2001:db8::7", error) == peer("2001:db8::7"));
  CHECK_FALSE(echo::parse_address_bytes("10.0.0.0/8", error));
  CHECK(error == "an address, not a CIDR, was expected");
  CHECK_FALSE(echo::parse_address_bytes("010.0.0.1", error));
  CHECK(error == "leading zero in an IPv4 octet (octal or decimal?)");
}

TEST_CASE("address_bytes: from sockaddr_storage, in_addr and in6_addr", "[address_filter]") {
  sockaddr_storage s{};
  auto* in = reinterpret_cast<sockaddr_in*>(&s);
  in->sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, "192.0.2.9", &in->sin_addr) == 1);
  CHECK(echo::to_address_bytes(s) == peer("192.0.2.9"));
  CHECK(echo::to_address_bytes(s).family == address_family::v4);

  s = {};
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&s);
  in6->sin6_family = AF_INET6;
  REQUIRE(inet_pton(AF_INET6, "2001:db8::9", &in6->sin6_addr) == 1);
  CHECK(echo::to_address_bytes(s) == peer("2001:db8::9"));
  CHECK(echo::to_address_bytes(s).family == address_family::v6);

  // What a dual-stack socket on :: reports for an IPv4 peer.
  REQUIRE(inet_pton(AF_INET6, "::ffff:192.0.2.9", &in6->sin6_addr) == 1);
  CHECK(echo::to_address_bytes(s) == peer("192.0.2.9"));
  CHECK(echo::make_v6_address(raw_v6("::ffff:192.0.2.9").bytes) == peer("192.0.2.9"));
  CHECK(echo::normalized(raw_v6("::ffff:192.0.2.9")) == peer("192.0.2.9"));
  // ::192.0.2.9 (IPv4-compatible, deprecated) is not mapped: it stays IPv6.
  CHECK(peer("::192.0.2.9").family == address_family::v6);

  s = {};
  s.ss_family = AF_UNIX;
  CHECK(echo::to_address_bytes(s).family == address_family::none);
}

TEST_CASE("address_filter: empty permits everything, and says it is empty", "[address_filter]") {
  const address_filter f;
  CHECK(f.is_empty());
  CHECK(f.permits(peer("192.0.2.1")));
  CHECK(f.permits(peer("2001:db8::1")));
  CHECK(f.permits(address_bytes{}));
  CHECK_FALSE(make_filter({}, {"10.0.0.0/8"}).is_empty());
  CHECK_FALSE(make_filter({"10.0.0.0/8"}, {}).is_empty());
}

TEST_CASE("address_filter: deny wins over allow, shorter or longer", "[address_filter]") {
  SECTION("a longer deny inside an allow") {
    const auto f = make_filter({"10.0.0.0/8"}, {"10.1.0.0/16"});
    CHECK_FALSE(f.permits(peer("10.1.2.3")));
    CHECK(f.permits(peer("10.2.0.1")));
    CHECK_FALSE(f.permits(peer("11.0.0.1")));  // outside every allow
  }
  SECTION("a longer allow inside a deny") {
    const auto f = make_filter({"10.1.0.0/16"}, {"10.0.0.0/8"});
    CHECK_FALSE(f.permits(peer("10.1.2.3")));
    CHECK_FALSE(f.permits(peer("10.2.0.1")));
  }
  SECTION("the same CIDR both ways") {
    const auto f = make_filter({"2001:db8::/32"}, {"2001:db8::/32"});
    CHECK_FALSE(f.permits(peer("2001:db8::1")));
  }
  SECTION("deny-only is a block list: everything else passes, both families") {
    const auto f = make_filter({}, {"192.0.2.0/24", "2001:db8::/32"});
    CHECK_FALSE(f.permits(peer("192.0.2.200")));
    CHECK_FALSE(f.permits(peer("2001:db8:ffff::1")));
    CHECK(f.permits(peer("192.0.3.1")));
    CHECK(f.permits(peer("2001:db9::1")));
    CHECK(f.permits(address_bytes{}));
  }
}

TEST_CASE("address_filter: with any allow, everything else is denied", "[address_filter]") {
  const auto f = make_filter({"192.0.2.0/24"}, {});
  CHECK(f.permits(peer("192.0.2.0")));
  CHECK(f.permits(peer("192.0.2.255")));
  CHECK_FALSE(f.permits(peer("192.0.3.0")));
  CHECK_FALSE(f.permits(peer("192.0.1.255")));
  CHECK_FALSE(f.permits(peer("2001:db8::1")));  // no IPv6 allow: IPv6 is "everything else"
  CHECK_FALSE(f.permits(address_bytes{}));

  const auto single = make_filter({"::1", "127.0.0.1"}, {});
  CHECK(single.permits(peer("::1")));
  CHECK(single.permits(peer("127.0.0.1")));
  CHECK_FALSE(single.permits(peer("::2")));
  CHECK_FALSE(single.permits(peer("127.0.0.2")));
}

TEST_CASE("address_filter: IPv4-mapped peers follow IPv4 rules, never IPv6 ones",
          "[address_filter]") {
  const auto allow = make_filter({"192.0.2.0/24"}, {});
  CHECK(allow.permits(peer("::ffff:192.0.2.5")));
  CHECK(allow.permits(raw_v6("::ffff:192.0.2.5")));  // filled by hand, not normalized
  CHECK_FALSE(allow.permits(raw_v6("::ffff:192.0.3.5")));

  const auto deny = make_filter({}, {"192.0.2.5"});
  CHECK_FALSE(deny.permits(raw_v6("::ffff:192.0.2.5")));
  CHECK(deny.permits(raw_v6("::ffff:192.0.2.6")));

  // An IPv4 rule never matches a true IPv6 address, even one that embeds the same 32 bits.
  const auto all_v4 = make_filter({"0.0.0.0/0"}, {});
  CHECK_FALSE(all_v4.permits(peer("::192.0.2.5")));
  CHECK_FALSE(all_v4.permits(peer("64:ff9b::192.0.2.5")));
  CHECK_FALSE(all_v4.permits(peer("2001:db8::1")));
  CHECK(all_v4.permits(peer("::ffff:10.0.0.1")));

  // An IPv6 rule over the mapped range does not catch IPv4 peers: they are IPv4.
  const auto deny_v6 = make_filter({}, {"::/0"});
  CHECK(deny_v6.permits(raw_v6("::ffff:192.0.2.5")));
  CHECK_FALSE(deny_v6.permits(peer("2001:db8::1")));

  // A rule written in the mapped form is an IPv4 rule.
  const auto mapped_rule = make_filter({}, {"::ffff:192.0.2.0/120"});
  CHECK_FALSE(mapped_rule.permits(peer("192.0.2.77")));
  CHECK(mapped_rule.permits(peer("192.0.3.77")));
}

TEST_CASE("address_filter: /0 rules cover their whole family and only it", "[address_filter]") {
  const auto deny_v4 = make_filter({}, {"0.0.0.0/0"});
  CHECK_FALSE(deny_v4.permits(peer("0.0.0.0")));
  CHECK_FALSE(deny_v4.permits(peer("255.255.255.255")));
  CHECK_FALSE(deny_v4.permits(peer("::ffff:1.2.3.4")));
  CHECK(deny_v4.permits(peer("::")));

  const auto allow_v6 = make_filter({"::/0"}, {});
  CHECK(allow_v6.permits(peer("::")));
  CHECK(allow_v6.permits(peer("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  CHECK_FALSE(allow_v6.permits(peer("1.2.3.4")));

  const auto both = make_filter({"0.0.0.0/0", "::/0"}, {"10.0.0.0/8"});
  CHECK(both.permits(peer("11.0.0.1")));
  CHECK(both.permits(peer("2001:db8::1")));
  CHECK_FALSE(both.permits(peer("10.255.0.1")));
}

TEST_CASE("address_filter: overlapping rules at many lengths", "[address_filter]") {
  const auto f =
      make_filter({"10.0.0.0/8", "10.1.0.0/16", "10.1.2.3/32", "2001:db8::/32", "2001:db8:1::/48"},
                  {"10.1.2.0/24", "2001:db8:1:2::/64", "2001:db8:1:2::/64"});
  CHECK_FALSE(f.permits(peer("10.1.2.3")));  // the /32 allow loses to the /24 deny
  CHECK_FALSE(f.permits(peer("10.1.2.200")));
  CHECK(f.permits(peer("10.1.3.1")));
  CHECK(f.permits(peer("10.200.0.1")));
  CHECK_FALSE(f.permits(peer("11.1.2.3")));
  CHECK(f.permits(peer("2001:db8:1:3::1")));
  CHECK_FALSE(f.permits(peer("2001:db8:1:2:ffff::1")));
  CHECK(f.permits(peer("2001:db8:ffff::1")));
  CHECK_FALSE(f.permits(peer("2001:db9::1")));
}

TEST_CASE("address_filter: 1,000 random rules agree with a naive scan", "[address_filter]") {
  std::mt19937_64 random(20261206);
  const auto below = [&](std::uint64_t n) { return random() % n; };

  // Rules and peers are drawn near a few base addresses, so that prefixes nest and overlap and
  // most peers match some rule; a few are fully random.
  std::vector<address_bytes> bases;
  for (int i = 0; i < 6; ++i) {
    address_bytes b;
    b.family = i % 2 == 0 ? address_family::v4 : address_family::v6;
    for (std::size_t j = 0; j < (i % 2 == 0 ? 4u : 16u); ++j) {
      b.bytes[j] = static_cast<std::uint8_t>(random());
    }
    bases.push_back(b);
  }
  const auto near_base = [&]() {
    address_bytes a = bases[below(bases.size())];
    const unsigned bits = a.family == address_family::v4 ? 32 : 128;
    const unsigned keep = static_cast<unsigned>(below(bits + 1));
    for (unsigned i = keep; i < bits; ++i) {
      if (random() & 1)
        a.bytes[i / 8] = static_cast<std::uint8_t>(a.bytes[i / 8] ^ (0x80u >> (i % 8)));
    }
    return a;
  };
  const auto some_peer = [&]() {
    address_bytes a = near_base();
    if (a.family == address_family::v4 && below(4) == 0) {  // the same peer, IPv4-mapped
      address_bytes mapped;
      mapped.family = address_family::v6;
      mapped.bytes[10] = mapped.bytes[11] = 0xff;
      std::memcpy(mapped.bytes.data() + 12, a.bytes.data(), 4);
      return mapped;
    }
    return a;
  };

  for (const unsigned deny_percent : {0u, 10u, 50u, 100u}) {
    address_filter f;
    std::vector<reference_rule> reference;
    for (int i = 0; i < 1000; ++i) {
      const address_bytes a = near_base();
      const unsigned bits = a.family == address_family::v4 ? 32 : 128;
      // Mostly long prefixes, as real rule sets have, and a few short ones: allows from /4 and
      // denies from /16, or a handful of them would decide nearly everything and leave little
      // to compare.
      const bool is_deny = below(100) < deny_percent;
      const auto shortest = is_deny ? 16u : 4u;
      const unsigned length = below(16) == 0 ? shortest + static_cast<unsigned>(below(9))
                                             : bits - static_cast<unsigned>(below(25));
      // Through the text, host bits and all, so parsing and masking are part of what is checked.
      const std::string text = show(a) + "/" + std::to_string(length);
      std::string error;
      const auto parsed = echo::parse_cidr(text, error);
      INFO(text << ": " << error);
      REQUIRE(parsed);
      (is_deny ? f.add_deny(*parsed) : f.add_allow(*parsed));
      reference.push_back({*parsed, is_deny});
    }
    std::size_t permitted = 0;
    for (int i = 0; i < 20'000; ++i) {
      const address_bytes p = below(20) == 0 ? bases[0] : some_peer();
      const bool expected = reference_permits(reference, p);
      if (f.permits(p) != expected) {
        FAIL_CHECK("deny " << deny_percent << "%: peer " << show(p) << " permits() " << !expected
                           << ", the naive scan " << expected);
      }
      permitted += expected;
    }
    // Both verdicts occur often enough for the comparison to mean something (with this seed:
    // 19,264, 5,779, 3,997 and 2,887 permitted).
    INFO("deny " << deny_percent << "%: " << permitted << " of 20,000 permitted");
    CHECK(permitted > 1'000);
    CHECK(permitted < 19'800);
  }
}
