#include "support/test_data.hpp"

#include <algorithm>

namespace echo::test {

namespace {

// splitmix64: tiny, fast, and good enough that every byte value shows up.
std::uint64_t next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr std::size_t context_bytes = 16;

}  // namespace

std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::string out(size, '\0');
  std::uint64_t state = seed;
  for (std::size_t i = 0; i < size; i += 8) {
    std::uint64_t word = next(state);
    for (std::size_t k = i; k < std::min(size, i + 8); ++k, word >>= 8) {
      out[k] = static_cast<char>(word & 0xFF);
    }
  }
  return out;
}

std::size_t first_difference(std::string_view a, std::string_view b) {
  const auto [in_a, in_b] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (in_a == a.end() && in_b == b.end()) return std::string::npos;
  return static_cast<std::size_t>(in_a - a.begin());
}

std::string describe_difference(std::string_view expected, std::string_view actual) {
  const std::size_t at = first_difference(expected, actual);
  if (at == std::string::npos) return "identical (" + std::to_string(expected.size()) + " bytes)";
  const std::size_t from = at > context_bytes ? at - context_bytes : 0;
  return "expected " + std::to_string(expected.size()) + " bytes, got " +
         std::to_string(actual.size()) + "; first difference at offset " + std::to_string(at) +
         ": expected \"" + printable(expected.substr(from, 2 * context_bytes)) + "\", got \"" +
         printable(actual.substr(std::min(from, actual.size()), 2 * context_bytes)) + "\"";
}

std::string regex_escape(std::string_view text) {
  static constexpr std::string_view special = R"(.^$|()[]{}*+?\)";
  std::string out;
  for (const char c : text) {
    if (special.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string printable(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0x0F];
    }
  }
  return out;
}

}  // namespace echo::test
