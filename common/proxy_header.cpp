// The PROXY protocol parser: detection, the strict v1 line, and the v2 fixed header plus address
// block. Spec: haproxy's doc/proxy-protocol.txt (sections 2.1 and 2.2).

#include "common/proxy_header.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>
#include <utility>

namespace echo {

namespace {

using namespace std::string_view_literals;
using status = proxy_header_parser::status;

constexpr std::string_view v1_prefix = "PROXY "sv;
constexpr std::string_view v2_signature = "\r\n\r\n\0\r\nQUIT\n"sv;
constexpr std::size_t v2_fixed_size = 16;  // signature, version/command, family, length
constexpr std::string_view v1_protocols[] = {"TCP4"sv, "TCP6"sv, "UNKNOWN"sv};

std::string hex_byte(unsigned char b) {
  static constexpr char digits[] = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 0x0f];
}

// Dotted or colon text to the canonical text inet_ntop writes ("2001:DB8::1" -> "2001:db8::1"),
// or "" when `text` is not an address of `family`.
std::string canonical_address(int family, std::string_view text) {
  char in[INET6_ADDRSTRLEN] = {};
  if (text.size() >= sizeof in) return {};
  std::memcpy(in, text.data(), text.size());
  unsigned char binary[sizeof(in6_addr)];
  if (inet_pton(family, in, binary) != 1) return {};
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(family, binary, out, sizeof out) == nullptr) return {};
  return out;
}

std::string address_text(int family, const char* binary) {
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(family, binary, out, sizeof out) == nullptr) return {};
  return out;
}

// A v1 port: decimal 0-65535, no sign, no leading zero except "0" itself.
bool parse_port(std::string_view text, std::uint16_t& port) {
  if (text.empty() || text.size() > 5) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

std::uint16_t big_endian_16(const char* p) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(p[0]) << 8) |
                                    static_cast<unsigned char>(p[1]));
}

// False when `token` (the v1 protocol field, complete or not) can no longer become one we accept.
bool could_be_protocol(std::string_view token, bool is_complete) {
  return std::any_of(std::begin(v1_protocols), std::end(v1_protocols), [&](std::string_view p) {
    return is_complete ? token == p : p.substr(0, token.size()) == token;
  });
}

}  // namespace

proxy_header_parser::status proxy_header_parser::feed(std::string_view bytes) {
  assert(status_ == status::need_more && "proxy_header_parser::feed after done or error");
  if (status_ != status::need_more) {
    consumed_ = 0;
    return status_;
  }
  const std::size_t fed = bytes.size();
  while (!bytes.empty() && status_ == status::need_more) {
    if (stage_ == stage::v2_body) {
      status_ = take_v2_body(bytes);
      continue;
    }
    const char c = bytes.front();
    bytes.remove_prefix(1);
    switch (stage_) {
      case stage::detect:
        status_ = take_detect(c);
        break;
      case stage::v1_line:
        status_ = take_v1(c);
        break;
      case stage::v2_fixed:
        status_ = take_v2_fixed(c);
        break;
      case stage::v2_body:
        break;
    }
  }
  consumed_ = fed - bytes.size();
  return status_;
}

// Both signatures are checked byte by byte, so anything else fails at its first wrong byte; they
// differ in their first byte ('P' or '\r'), so that byte picks the one to compare with.
proxy_header_parser::status proxy_header_parser::take_detect(char c) {
  buffer_[size_++] = c;
  const std::string_view expected = buffer_[0] == 'P' ? v1_prefix : v2_signature;
  if (c != expected[size_ - 1]) return fail("not a PROXY protocol header");
  if (size_ == expected.size()) stage_ = expected == v1_prefix ? stage::v1_line : stage::v2_fixed;
  return status::need_more;
}

proxy_header_parser::status proxy_header_parser::take_v1(char c) {
  buffer_[size_++] = c;
  if (c == '\n') {
    if (buffer_[size_ - 2] != '\r') return fail("PROXY v1: line must end with CRLF");
    return parse_v1_line();
  }
  if (size_ == v1_max_line) return fail("PROXY v1: header longer than 107 bytes");
  // Reject an unknown protocol as soon as its first wrong byte arrives.
  const std::string_view token(buffer_.data() + v1_prefix.size(), size_ - v1_prefix.size());
  if (token.size() <= 8) {
    const std::size_t end = token.find_first_of(" \r");
    if (!could_be_protocol(token.substr(0, end), end != std::string_view::npos)) {
      return fail("PROXY v1: unknown protocol (expected TCP4, TCP6 or UNKNOWN)");
    }
  }
  return status::need_more;
}

// The complete line, from after "PROXY " to before CRLF: "TCP4 <src> <dst> <sport> <dport>",
// "TCP6 ..." or "UNKNOWN[ anything]".
proxy_header_parser::status proxy_header_parser::parse_v1_line() {
  std::string_view line(buffer_.data() + v1_prefix.size(), size_ - v1_prefix.size() - 2);
  const std::size_t space = line.find(' ');
  const std::string_view protocol = line.substr(0, space);
  if (protocol == "UNKNOWN") {
    header_.version = 1;
    header_.is_local = true;  // the spec: ignore whatever follows, up to the CRLF
    return status::done;
  }
  if (protocol != "TCP4" && protocol != "TCP6") {
    return fail("PROXY v1: unknown protocol (expected TCP4, TCP6 or UNKNOWN)");
  }
  // Exactly four fields, each followed by one space except the last.
  std::string_view fields[4];
  std::size_t count = 0;
  std::string_view rest;
  if (space != std::string_view::npos) rest = line.substr(space + 1);
  while (space != std::string_view::npos) {
    const std::size_t next = rest.find(' ');
    const std::string_view field = rest.substr(0, next);
    if (field.empty()) return fail("PROXY v1: fields must be separated by single spaces");
    if (count == 4) return fail("PROXY v1: too many fields after " + std::string(protocol));
    fields[count++] = field;
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
  if (count < 4) {
    return fail("PROXY v1: " + std::string(protocol) +
                " needs source and destination addresses and ports");
  }
  const int family = protocol == "TCP4" ? AF_INET : AF_INET6;
  proxy_header h;
  h.version = 1;
  h.source_address = canonical_address(family, fields[0]);
  if (h.source_address.empty()) return fail("PROXY v1: bad source address");
  h.destination_address = canonical_address(family, fields[1]);
  if (h.destination_address.empty()) return fail("PROXY v1: bad destination address");
  if (!parse_port(fields[2], h.source_port)) return fail("PROXY v1: bad source port");
  if (!parse_port(fields[3], h.destination_port)) return fail("PROXY v1: bad destination port");
  header_ = std::move(h);
  return status::done;
}

// Bytes 12 (version and command), 13 (family and transport) and 14-15 (length) are each checked
// as they arrive.
proxy_header_parser::status proxy_header_parser::take_v2_fixed(char c) {
  buffer_[size_++] = c;
  const auto b = static_cast<unsigned char>(c);
  if (size_ == 13) {
    if ((b >> 4) != 2) return fail("PROXY v2: unsupported version " + std::to_string(b >> 4));
    if ((b & 0x0f) > 1) return fail("PROXY v2: unknown command " + std::to_string(b & 0x0f));
  } else if (size_ == 14 && (buffer_[12] & 0x0f) != 0x0) {
    // A LOCAL header (health checks) may name any family: its addresses are never read.
    if (b == 0x11) {
      v2_addresses_ = 12;  // two IPv4 addresses and two ports
    } else if (b == 0x21) {
      v2_addresses_ = 36;  // two IPv6 addresses and two ports
    } else if (b != 0x00) {
      return fail("PROXY v2: unsupported address family and transport " + hex_byte(b) +
                  " (expected TCP over IPv4 or IPv6)");
    }
  } else if (size_ == v2_fixed_size) {
    v2_remaining_ = big_endian_16(buffer_.data() + 14);
    if (v2_remaining_ < v2_addresses_) {
      return fail("PROXY v2: length " + std::to_string(v2_remaining_) +
                  " too short for the address block of " + std::to_string(v2_addresses_) +
                  " bytes");
    }
    if (v2_remaining_ == 0) return finish_v2();
    stage_ = stage::v2_body;
  }
  return status::need_more;
}

// Keeps the address block and counts off the TLVs after it without storing them.
proxy_header_parser::status proxy_header_parser::take_v2_body(std::string_view& bytes) {
  const std::size_t n = std::min(bytes.size(), v2_remaining_);
  const std::size_t kept = size_ - v2_fixed_size;
  const std::size_t keep = std::min(n, v2_addresses_ - kept);
  std::copy_n(bytes.data(), keep, buffer_.data() + size_);
  size_ += keep;
  v2_remaining_ -= n;
  bytes.remove_prefix(n);
  return v2_remaining_ == 0 ? finish_v2() : status::need_more;
}

proxy_header_parser::status proxy_header_parser::finish_v2() {
  proxy_header h;
  h.version = 2;
  const char* block = buffer_.data() + v2_fixed_size;
  if (v2_addresses_ == 12) {
    h.source_address = address_text(AF_INET, block);
    h.destination_address = address_text(AF_INET, block + 4);
    h.source_port = big_endian_16(block + 8);
    h.destination_port = big_endian_16(block + 10);
  } else if (v2_addresses_ == 36) {
    h.source_address = address_text(AF_INET6, block);
    h.destination_address = address_text(AF_INET6, block + 16);
    h.source_port = big_endian_16(block + 32);
    h.destination_port = big_endian_16(block + 34);
  } else {
    h.is_local = true;  // LOCAL, or PROXY with AF_UNSPEC
  }
  header_ = std::move(h);
  return status::done;
}

proxy_header_parser::status proxy_header_parser::fail(std::string message) {
  error_ = std::move(message);
  return status::error;
}

}  // namespace echo
