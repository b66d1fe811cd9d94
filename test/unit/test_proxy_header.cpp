// proxy_header_parser: every valid v1 and v2 form, every malformed one with its wording and the
// byte at which it is refused, the client's data after the header, and the rule that the chunks
// the bytes arrive in never change the outcome.

#include "common/proxy_header.hpp"

#include "chunking.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using echo::proxy_header;
using echo::proxy_header_parser;
using echo::test::all_chunkings;
using echo::test::chunking;
using echo::test::describe;
using echo::test::printable;
using status = proxy_header_parser::status;
using namespace std::string_literals;  // "\0"s keeps embedded NULs

std::string_view name_of(status s) {
  switch (s) {
    case status::need_more:
      return "need_more";
    case status::done:
      return "done";
    case status::error:
      return "error";
  }
  return "?";
}

// What one run of a parser produced, fed the chunks in order as a session would.
struct run_result {
  status final_status = status::need_more;
  proxy_header header;
  std::string error;
  std::size_t end = 0;  // offset just past the header (done) or the byte that failed (error)
  std::string data;     // after done: the rest of the input, the client's first bytes

  bool operator==(const run_result& o) const {
    const proxy_header &a = header, &b = o.header;
    return final_status == o.final_status && a.version == b.version && a.is_local == b.is_local &&
           a.source_address == b.source_address && a.destination_address == b.destination_address &&
           a.source_port == b.source_port && a.destination_port == b.destination_port &&
           error == o.error && end == o.end && data == o.data;
  }
};

run_result run(const chunking& chunks) {
  proxy_header_parser parser;
  run_result result;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (result.final_status == status::done) {
      result.data.append(chunks[i]);
      continue;
    }
    result.final_status = parser.feed(chunks[i]);
    REQUIRE(parser.consumed() <= chunks[i].size());
    if (result.final_status == status::need_more) REQUIRE(parser.consumed() == chunks[i].size());
    offset += parser.consumed();
    if (result.final_status == status::done) {
      result.data.append(chunks[i].substr(parser.consumed()));
    }
    if (result.final_status == status::error) break;
  }
  result.header = parser.header();
  result.error = parser.error();
  result.end = offset;
  return result;
}

// A v2 header: signature, version/command byte, family/transport byte, then `body` (addresses
// and TLVs) with its length in the length field.
std::string v2(unsigned char version_command, unsigned char family, const std::string& body) {
  std::string out = "\r\n\r\n\0\r\nQUIT\n"s;
  out += static_cast<char>(version_command);
  out += static_cast<char>(family);
  out += static_cast<char>(body.size() >> 8);
  out += static_cast<char>(body.size() & 0xff);
  return out + body;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out += static_cast<char>(v);
  return out;
}

// 192.0.2.1:56324 -> 198.51.100.2:443
const std::string ipv4_block = bytes({192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0x01, 0xbb});
// 2001:db8::1:65535 -> 2001:db8::2:0
const std::string ipv6_block =
    bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    1,    0x20, 0x01,
           0x0d, 0xb8, 0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0xff, 0xff, 0x00, 0x00});
// PP2_TYPE_ALPN "h2", PP2_TYPE_AUTHORITY "example.com", PP2_TYPE_NOOP with 3 bytes.
const std::string tlvs = bytes({0x01, 0x00, 0x02, 'h', '2', 0x02, 0x00, 0x0b}) + "example.com" +
                         bytes({0x04, 0x00, 0x03, 0, 0, 0});

proxy_header tcp(int version, std::string source, std::string destination,
                 std::uint16_t source_port, std::uint16_t destination_port) {
  proxy_header h;
  h.version = version;
  h.source_address = std::move(source);
  h.destination_address = std::move(destination);
  h.source_port = source_port;
  h.destination_port = destination_port;
  return h;
}

proxy_header local(int version) {
  proxy_header h;
  h.version = version;
  h.is_local = true;
  return h;
}

struct valid_case {
  const char* name;
  std::string header_bytes;
  proxy_header expected;
};

const std::string longest_v1 =
    "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
    "65535 65535\r\n";

const std::vector<valid_case> valid_cases = {
    {"v1 TCP4", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n",
     tcp(1, "192.0.2.1", "198.51.100.2", 56324, 443)},
    {"v1 TCP4 with ports 0 and 65535", "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n",
     tcp(1, "0.0.0.0", "255.255.255.255", 0, 65535)},
    {"v1 TCP6, written in canonical form", "PROXY TCP6 2001:DB8:0:0::1 2001:db8::2 65535 0\r\n",
     tcp(1, "2001:db8::1", "2001:db8::2", 65535, 0)},
    {"v1 TCP6 with a mapped IPv4 address", "PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n",
     tcp(1, "::ffff:192.0.2.1", "::1", 1, 2)},
    {"v1 UNKNOWN alone", "PROXY UNKNOWN\r\n", local(1)},
    {"v1 UNKNOWN with the rest ignored", "PROXY UNKNOWN whatever\x01 is here\r\n", local(1)},
    {"v1 UNKNOWN of the longest length, 107 bytes", longest_v1, local(1)},
    {"v2 PROXY TCP over IPv4", v2(0x21, 0x11, ipv4_block),
     tcp(2, "192.0.2.1", "198.51.100.2", 56324, 443)},
    {"v2 PROXY TCP over IPv4 with TLVs", v2(0x21, 0x11, ipv4_block + tlvs),
     tcp(2, "192.0.2.1", "198.51.100.2", 56324, 443)},
    {"v2 PROXY TCP over IPv6", v2(0x21, 0x21, ipv6_block),
     tcp(2, "2001:db8::1", "2001:db8::2", 65535, 0)},
    {"v2 PROXY TCP over IPv6 with TLVs", v2(0x21, 0x21, ipv6_block + tlvs),
     tcp(2, "2001:db8::1", "2001:db8::2", 65535, 0)},
    {"v2 LOCAL with no addresses", v2(0x20, 0x00, ""), local(2)},
    {"v2 LOCAL with IPv4 addresses ignored", v2(0x20, 0x11, ipv4_block), local(2)},
    {"v2 LOCAL with a UNIX family and TLVs", v2(0x20, 0x31, std::string(216, 'u') + tlvs),
     local(2)},
    {"v2 LOCAL with a DGRAM family", v2(0x20, 0x12, ipv4_block), local(2)},
    {"v2 PROXY UNSPEC", v2(0x21, 0x00, ""), local(2)},
    {"v2 PROXY UNSPEC with TLVs", v2(0x21, 0x00, tlvs), local(2)},
};

struct error_case {
  const char* name;
  std::string input;
  std::string error;
  std::size_t at;  // the number of bytes read when the error shows (1: the first byte)
};

const std::string good_v1_tail = " 192.0.2.1 198.51.100.2 56324 443\r\n";

const std::vector<error_case> error_cases = {
    {"plaintext", "hello\n", "not a PROXY protocol header", 1},
    {"a TLS ClientHello", bytes({0x16, 0x03, 0x01, 0x02, 0x00}), "not a PROXY protocol header", 1},
    {"an HTTP request", "GET / HTTP/1.1\r\n", "not a PROXY protocol header", 1},
    {"an empty line", "\n", "not a PROXY protocol header", 1},
    {"lower-case proxy", "proxy TCP4" + good_v1_tail, "not a PROXY protocol header", 1},
    {"PROXY without its space", "PROXY\r\n", "not a PROXY protocol header", 6},
    {"PROXI", "PROXI TCP4" + good_v1_tail, "not a PROXY protocol header", 5},
    {"a v2 signature with a wrong byte", "\r\n\r\n\0\r\nQUIX\n"s + bytes({0x21, 0x11, 0, 12}),
     "not a PROXY protocol header", 11},
    {"a v2 signature without its NUL", "\r\n\r\nX"s, "not a PROXY protocol header", 5},

    {"v1 unknown protocol", "PROXY UDP4" + good_v1_tail,
     "PROXY v1: unknown protocol (expected TCP4, TCP6 or UNKNOWN)", 8},
    {"v1 TCP5", "PROXY TCP5" + good_v1_tail,
     "PROXY v1: unknown protocol (expected TCP4, TCP6 or UNKNOWN)", 10},
    {"v1 lower-case tcp4", "PROXY tcp4" + good_v1_tail,
     "PROXY v1: unknown protocol (expected TCP4, TCP6 or UNKNOWN)", 7},
    {"v1 two spaces after PROXY", "PROXY  TCP4" + good_v1_tail,
     "PROXY v1: unknown protocol (expected TCP4, TCP6 or UNKNOWN)", 7},
    {"v1 TCP4 run into its address", "PROXY TCP4192.0.2.1 198.51.100.2 1 2\r\n",
     "PROXY v1: unknown protocol (expected TCP4, TCP6 or UNKNOWN)", 11},
    {"v1 UNKNOWN run into more letters", "PROXY UNKNOWNS\r\n",
     "PROXY v1: unknown protocol (expected TCP4, TCP6 or UNKNOWN)", 14},
    {"v1 ended by a bare LF", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\n",
     "PROXY v1: line must end with CRLF", 44},
    {"v1 UNKNOWN ended by a bare LF", "PROXY UNKNOWN\n", "PROXY v1: line must end with CRLF", 14},
    {"v1 108 bytes", "PROXY UNKNOWN " + std::string(92, 'x') + "\r\n",
     "PROXY v1: header longer than 107 bytes", 107},
    {"v1 never ending", "PROXY UNKNOWN " + std::string(500, 'x'),
     "PROXY v1: header longer than 107 bytes", 107},
    {"v1 TCP4 without fields", "PROXY TCP4\r\n",
     "PROXY v1: TCP4 needs source and destination addresses and ports", 12},
    {"v1 TCP4 with three fields", "PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n",
     "PROXY v1: TCP4 needs source and destination addresses and ports", 41},
    {"v1 TCP6 with five fields", "PROXY TCP6 ::1 ::2 1 2 3\r\n",
     "PROXY v1: too many fields after TCP6", 26},
    {"v1 two spaces between fields", "PROXY TCP4 192.0.2.1  198.51.100.2 56324 443\r\n",
     "PROXY v1: fields must be separated by single spaces", 46},
    {"v1 a trailing space", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 \r\n",
     "PROXY v1: fields must be separated by single spaces", 46},
    {"v1 a tab between fields", "PROXY TCP4 192.0.2.1\t198.51.100.2 56324 443\r\n",
     "PROXY v1: TCP4 needs source and destination addresses and ports", 45},
    {"v1 TCP4 with an IPv6 address", "PROXY TCP4 ::1 198.51.100.2 1 2\r\n",
     "PROXY v1: bad source address", 33},
    {"v1 TCP6 with an IPv4 address", "PROXY TCP6 ::1 192.0.2.1 1 2\r\n",
     "PROXY v1: bad destination address", 30},
    {"v1 an IPv4 octet over 255", "PROXY TCP4 192.0.2.256 198.51.100.2 1 2\r\n",
     "PROXY v1: bad source address", 41},
    {"v1 an IPv4 octet with a leading zero", "PROXY TCP4 192.0.2.1 198.51.100.02 1 2\r\n",
     "PROXY v1: bad destination address", 40},
    {"v1 a three-part IPv4 address", "PROXY TCP4 192.0.2 198.51.100.2 1 2\r\n",
     "PROXY v1: bad source address", 37},
    {"v1 a host name", "PROXY TCP4 localhost 198.51.100.2 1 2\r\n", "PROXY v1: bad source address",
     39},
    {"v1 an IPv6 address in brackets", "PROXY TCP6 [::1] ::2 1 2\r\n",
     "PROXY v1: bad source address", 26},
    {"v1 port with a plus sign", "PROXY TCP4 192.0.2.1 198.51.100.2 +1 2\r\n",
     "PROXY v1: bad source port", 40},
    {"v1 negative port", "PROXY TCP4 192.0.2.1 198.51.100.2 -1 2\r\n", "PROXY v1: bad source port",
     40},
    {"v1 port with a leading zero", "PROXY TCP4 192.0.2.1 198.51.100.2 080 2\r\n",
     "PROXY v1: bad source port", 41},
    {"v1 port 65536", "PROXY TCP4 192.0.2.1 198.51.100.2 1 65536\r\n",
     "PROXY v1: bad destination port", 43},
    {"v1 port of six digits", "PROXY TCP4 192.0.2.1 198.51.100.2 1 100000\r\n",
     "PROXY v1: bad destination port", 44},
    {"v1 port in hex", "PROXY TCP4 192.0.2.1 198.51.100.2 1 0x10\r\n",
     "PROXY v1: bad destination port", 42},
    {"v1 CR inside the line", "PROXY TCP4 192.0.2.1 198.51.100.2 1 2\r\r\n",
     "PROXY v1: bad destination port", 40},

    {"v2 version 1", v2(0x11, 0x11, ipv4_block), "PROXY v2: unsupported version 1", 13},
    {"v2 version 3", v2(0x31, 0x11, ipv4_block), "PROXY v2: unsupported version 3", 13},
    {"v2 command 2", v2(0x22, 0x11, ipv4_block), "PROXY v2: unknown command 2", 13},
    {"v2 command 15", v2(0x2f, 0x11, ipv4_block), "PROXY v2: unknown command 15", 13},
    {"v2 PROXY over UNIX", v2(0x21, 0x31, std::string(216, 'u')),
     "PROXY v2: unsupported address family and transport 0x31 (expected TCP over IPv4 or IPv6)",
     14},
    {"v2 PROXY UDP over IPv4", v2(0x21, 0x12, ipv4_block),
     "PROXY v2: unsupported address family and transport 0x12 (expected TCP over IPv4 or IPv6)",
     14},
    {"v2 PROXY UDP over IPv6", v2(0x21, 0x22, ipv6_block),
     "PROXY v2: unsupported address family and transport 0x22 (expected TCP over IPv4 or IPv6)",
     14},
    {"v2 PROXY UNSPEC family with a stream transport", v2(0x21, 0x01, ""),
     "PROXY v2: unsupported address family and transport 0x01 (expected TCP over IPv4 or IPv6)",
     14},
    {"v2 PROXY family 4", v2(0x21, 0x41, ipv4_block),
     "PROXY v2: unsupported address family and transport 0x41 (expected TCP over IPv4 or IPv6)",
     14},
    {"v2 IPv4 block cut short", v2(0x21, 0x11, ipv4_block.substr(0, 11)),
     "PROXY v2: length 11 too short for the address block of 12 bytes", 16},
    {"v2 IPv6 with an IPv4-sized block", v2(0x21, 0x21, ipv4_block),
     "PROXY v2: length 12 too short for the address block of 36 bytes", 16},
    {"v2 IPv4 with no block", v2(0x21, 0x11, ""),
     "PROXY v2: length 0 too short for the address block of 12 bytes", 16},
};

}  // namespace

namespace Catch {
template <>
struct StringMaker<run_result> {
  static std::string convert(const run_result& r) {
    std::ostringstream out;
    out << name_of(r.final_status) << " v" << r.header.version
        << (r.header.is_local ? " local" : "") << " " << r.header.source_address << ":"
        << r.header.source_port << " -> " << r.header.destination_address << ":"
        << r.header.destination_port << " end " << r.end << " error \"" << r.error << "\" data \""
        << printable(r.data) << '"';
    return out.str();
  }
};
}  // namespace Catch

TEST_CASE("proxy_header_parser: every valid form, whatever the chunking, data after it kept",
          "[proxy_header]") {
  const std::string data = "hello\r\n\0\r\n\r\n"s;  // the client's own bytes, v2-looking included
  for (const auto& c : valid_cases) {
    SECTION(c.name) {
      const std::string input = c.header_bytes + data;
      INFO("input \"" << printable(input) << '"');
      run_result expected;
      expected.final_status = status::done;
      expected.header = c.expected;
      expected.end = c.header_bytes.size();
      expected.data = data;
      REQUIRE(run({input}) == expected);
      for (const auto& chunks : all_chunkings(input)) {
        INFO("chunks " << describe(chunks));
        REQUIRE(run(chunks) == expected);
      }
    }
  }
}

TEST_CASE("proxy_header_parser: every malformed form fails at the same byte with its wording",
          "[proxy_header]") {
  for (const auto& c : error_cases) {
    SECTION(c.name) {
      INFO("input \"" << printable(c.input) << '"');
      const run_result whole = run({c.input});
      REQUIRE(whole.final_status == status::error);
      REQUIRE(whole.error == c.error);
      REQUIRE(whole.end == c.at);
      REQUIRE(whole.header.version == 0);  // nothing half-parsed is exposed
      for (const char ch : whole.error) REQUIRE((ch >= 0x20 && ch < 0x7f));  // one printable line
      for (const auto& chunks : all_chunkings(c.input)) {
        INFO("chunks " << describe(chunks));
        REQUIRE(run(chunks) == whole);
      }
    }
  }
}

TEST_CASE("proxy_header_parser: every proper prefix of a valid header asks for more",
          "[proxy_header]") {
  for (const auto& c : valid_cases) {
    SECTION(c.name) {
      for (std::size_t n = 0; n < c.header_bytes.size(); ++n) {
        proxy_header_parser parser;
        INFO("prefix of " << n << " bytes");
        REQUIRE(parser.feed(std::string_view(c.header_bytes).substr(0, n)) == status::need_more);
        REQUIRE(parser.consumed() == n);
        REQUIRE(parser.error().empty());
      }
    }
  }
}

TEST_CASE("proxy_header_parser: consumed() counts only this call's header bytes",
          "[proxy_header]") {
  const std::string header = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n";
  proxy_header_parser parser;
  REQUIRE(parser.feed("") == status::need_more);
  REQUIRE(parser.consumed() == 0);
  REQUIRE(parser.feed(header.substr(0, 20)) == status::need_more);
  REQUIRE(parser.consumed() == 20);
  const std::string rest = header.substr(20) + "PROXY TCP4 is data now\n";
  REQUIRE(parser.feed(rest) == status::done);
  REQUIRE(parser.consumed() == header.size() - 20);
  REQUIRE(rest.substr(parser.consumed()) == "PROXY TCP4 is data now\n");
  REQUIRE(parser.header().source_address == "192.0.2.1");
  REQUIRE(parser.header().source_port == 56324);
}

TEST_CASE("proxy_header_parser: a v2 header of the longest length, TLVs skipped",
          "[proxy_header]") {
  // 65535 bytes after the fixed part: the address block, then a NOOP TLV filling the rest.
  const std::size_t noop = 65535 - ipv4_block.size() - 3;
  const std::string body =
      ipv4_block + bytes({0x04, static_cast<int>(noop >> 8), static_cast<int>(noop & 0xff)}) +
      std::string(noop, '\xee');
  const std::string input = v2(0x21, 0x11, body) + "data";
  REQUIRE(input.size() == 16 + 65535 + 4);
  for (const std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, input.size()}) {
    INFO("chunks of " << step);
    proxy_header_parser parser;
    std::size_t offset = 0;
    status s = status::need_more;
    while (s == status::need_more) {
      const std::string_view chunk = std::string_view(input).substr(offset, step);
      REQUIRE_FALSE(chunk.empty());
      s = parser.feed(chunk);
      offset += parser.consumed();
    }
    REQUIRE(s == status::done);
    REQUIRE(offset == 16 + 65535);
    REQUIRE(input.substr(offset) == "data");
    REQUIRE(parser.header().source_address == "192.0.2.1");
    REQUIRE(parser.header().destination_port == 443);
  }
}
