// libFuzzer target for proxy_header_parser. Input layout: bytes 0..3 are the chunking plan
// (fuzz_support.hpp); the rest is what the connection receives. The stream is parsed whole and in
// the planned chunks, which must agree on everything (status, header, error, where the header or
// the error ends, the data after it), and the result is checked against proxy_header.hpp's
// contract and the framing of the spec.

#include "common/proxy_header.hpp"

#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using echo::proxy_header_parser;
using echo::fuzz::chunk;
using echo::fuzz::cut;
using echo::fuzz::require;
using status = proxy_header_parser::status;

struct outcome {
  status result = status::need_more;
  echo::proxy_header header;
  std::string error;
  std::size_t end = 0;  // offset past the header (done) or past the byte that failed (error)
  std::string data;     // after done: every byte fed after the header

  bool operator==(const outcome& o) const {
    return result == o.result && header.version == o.header.version &&
           header.is_local == o.header.is_local &&
           header.source_address == o.header.source_address &&
           header.destination_address == o.header.destination_address &&
           header.source_port == o.header.source_port &&
           header.destination_port == o.header.destination_port && error == o.error &&
           end == o.end && data == o.data;
  }
};

outcome parse(const std::vector<chunk>& chunks) {
  proxy_header_parser parser;
  outcome o;
  for (const auto& c : chunks) {
    if (o.result == status::done) {
      o.data += c.bytes;
      continue;
    }
    o.result = parser.feed(c.bytes);
    require(parser.consumed() <= c.bytes.size());
    require(o.result != status::need_more || parser.consumed() == c.bytes.size());
    o.end += parser.consumed();
    if (o.result == status::done) o.data += c.bytes.substr(parser.consumed());
    if (o.result == status::error) break;
  }
  o.header = parser.header();
  o.error = parser.error();
  return o;
}

std::size_t big_endian_16(std::string_view s, std::size_t at) {
  return static_cast<std::size_t>(static_cast<unsigned char>(s[at]) << 8 |
                                  static_cast<unsigned char>(s[at + 1]));
}

void check(std::string_view in, const outcome& o) {
  require(o.end <= in.size());
  require(o.result == status::error || o.error.empty());
  require(o.result == status::done || o.header.version == 0);
  const auto first = in.empty() ? 0 : static_cast<unsigned char>(in[0]);
  if (!in.empty() && first != 'P' && first != '\r')
    require(o.result == status::error && o.end == 1);
  if (o.result == status::need_more) require(o.end == in.size());
  if (o.result == status::error) {
    require(o.end >= 1 && !o.error.empty());
    for (const char c : o.error) require(c >= 0x20 && c < 0x7f);
  }
  if (o.result != status::done) return;
  require(o.data == in.substr(o.end));
  const std::string_view header = in.substr(0, o.end);
  const auto& h = o.header;
  require(h.is_local == h.source_address.empty());
  require(h.is_local == h.destination_address.empty());
  require(!h.is_local || (h.source_port == 0 && h.destination_port == 0));
  if (h.version == 1) {
    require(header.substr(0, 6) == "PROXY " && header.size() <= 107);
    require(header.substr(header.size() - 2) == "\r\n");
    require(header.find('\n') == header.size() - 1);
  } else {
    require(h.version == 2);
    require(header.substr(0, 12) == std::string_view("\r\n\r\n\0\r\nQUIT\n", 12));
    require(header.size() == 16 + big_endian_16(header, 14));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view in = input.substr(4);
  const outcome whole = parse({{in, false}});
  check(in, whole);
  require(parse(cut(in, input.substr(0, 4), false)) == whole);
  // The verdict needs all of its bytes: one byte fewer still asks for more.
  if (whole.result != status::need_more) {
    require(parse({{in.substr(0, whole.end - 1), false}}).result == status::need_more);
  }
  return 0;
}
