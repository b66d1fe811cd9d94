#pragma once
// Helpers shared by the framing and reply-policy tests: every way to cut an input into chunks
// (whole, two pieces at every offset, byte by byte), and a printable form of raw bytes for
// failure messages. Test-only; header-only so each test file stays self-contained.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace echo::test {

using chunking = std::vector<std::string_view>;

// The input whole, then split in two at every offset 0..size (empty pieces included, since a
// zero-byte read must not change anything), then one byte at a time.
inline std::vector<chunking> all_chunkings(std::string_view input) {
  std::vector<chunking> result;
  result.push_back({input});
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    result.push_back({input.substr(0, cut), input.substr(cut)});
  }
  chunking bytes;
  for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
  result.push_back(bytes);
  return result;
}

// Bytes as C-like text ("a\r\n\x00"), so a failure shows exactly which bytes differ. Kept apart
// from echo::escape_for_log on purpose: tests should not describe data with the code under test.
inline std::string printable(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0x0f];
    }
  }
  return out;
}

// A readable description of one chunking, e.g. ["ab" | "c\n"], for INFO().
inline std::string describe(const chunking& chunks) {
  std::string out = "[";
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (i != 0) out += " | ";
    out += '"' + printable(chunks[i]) + '"';
  }
  return out + "]";
}

}  // namespace echo::test
