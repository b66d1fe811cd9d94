#pragma once
// Parses the HAProxy PROXY protocol header (v1 text or v2 binary) that a load balancer sends
// before the client's data, whatever the chunks it arrives in. One per connection, created and
// owned by its session when --proxy-protocol is on, fed the first reads until it says done or
// error; no I/O. Buffers at most 107 bytes (the longest v1 line); v2 TLVs are skipped, not kept.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace echo {

struct proxy_header {
  int version = 0;        // 1 or 2
  bool is_local = false;  // v2 LOCAL, v1 "UNKNOWN", or v2 AF_UNSPEC: use the socket's own addresses
  // text: "192.0.2.1", "2001:db8::1" (not for is_local)
  std::string source_address, destination_address;
  std::uint16_t source_port = 0, destination_port = 0;
};

class proxy_header_parser {
 public:
  enum class status { need_more, done, error };

  // Feeds the next bytes read from the connection (in any split, down to one byte at a time).
  // After done: consumed() is how many bytes of THIS call's input were header; the rest is data the
  // server must treat as the client's first bytes. Calling feed() after done or error is a bug
  // (assert). The verdict comes as early as the bytes allow: a first byte that starts neither
  // version is an error at once, and a v1 line that reaches 107 bytes without its CRLF fails
  // without waiting.
  status feed(std::string_view bytes);

  // Bytes of the last feed's input used: after done, the header's tail; after error, up to and
  // including the byte that showed the error; after need_more, all of them.
  std::size_t consumed() const { return consumed_; }

  // Filled in once feed returned done; default-constructed before.
  const proxy_header& header() const { return header_; }

  // After error: one line, e.g. "not a PROXY protocol header", "PROXY v1: bad source port".
  const std::string& error() const { return error_; }

 private:
  enum class stage { detect, v1_line, v2_fixed, v2_body };

  status take_detect(char c);
  status take_v1(char c);
  status take_v2_fixed(char c);
  status take_v2_body(std::string_view& bytes);
  status parse_v1_line();
  status finish_v2();
  status fail(std::string message);

  // The longest v1 line, CRLF included (the spec's 107); a v2 header keeps at most its 16 fixed
  // bytes plus a 36-byte IPv6 address block here.
  static constexpr std::size_t v1_max_line = 107;

  stage stage_ = stage::detect;
  status status_ = status::need_more;
  std::array<char, v1_max_line> buffer_{};
  std::size_t size_ = 0;          // bytes held in buffer_
  std::size_t v2_remaining_ = 0;  // v2: bytes of the address block and TLVs still to come
  std::size_t v2_addresses_ = 0;  // v2: bytes of the address block to keep (0, 12 or 36)
  std::size_t consumed_ = 0;
  proxy_header header_;
  std::string error_;
};

}  // namespace echo
