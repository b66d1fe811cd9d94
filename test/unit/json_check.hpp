#pragma once
// A strict JSON reader for the tests of the JSON escaper (test_escape) and the JSON log lines
// (test_log): UTF-8 validity, one string, and a flat object. Written apart from common/escape on
// purpose, to check it. Test-only; header-only like chunking.hpp.

#include <cstddef>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace echo::test {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points
// above U+10FFFF). Written apart from common/log on purpose, to check it.
inline bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    std::size_t n = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    if (b(i + 1) < low || b(i + 1) > high) return false;
    for (std::size_t k = 2; k <= n; ++k) {
      if ((b(i + k) & 0xC0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

inline void append_utf8(std::string& out, char32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// A strict RFC 8259 string parser: reads the JSON string starting at text[at] (a '"'), moves `at`
// past it and returns its decoded value; nullopt if it is not a valid JSON string in valid UTF-8.
inline std::optional<std::string> parse_json_string(std::string_view text, std::size_t& at) {
  if (at >= text.size() || text[at] != '"') return std::nullopt;
  std::string out;
  std::size_t i = at + 1;
  const auto hex4 = [&](std::size_t from) -> std::optional<char32_t> {
    if (from + 4 > text.size()) return std::nullopt;
    char32_t v = 0;
    for (std::size_t k = from; k < from + 4; ++k) {
      const char h = text[k];
      v <<= 4;
      if (h >= '0' && h <= '9')
        v |= static_cast<char32_t>(h - '0');
      else if (h >= 'a' && h <= 'f')
        v |= static_cast<char32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        v |= static_cast<char32_t>(h - 'A' + 10);
      else
        return std::nullopt;
    }
    return v;
  };
  std::size_t raw_start = i;
  while (true) {
    if (i >= text.size()) return std::nullopt;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20) return std::nullopt;
    if (c == '"') break;
    if (c != '\\') {
      ++i;
      continue;
    }
    out.append(text.substr(raw_start, i - raw_start));
    if (i + 1 >= text.size()) return std::nullopt;
    const char e = text[i + 1];
    i += 2;
    switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        auto code = hex4(i);
        if (!code) return std::nullopt;
        i += 4;
        if (*code >= 0xDC00 && *code <= 0xDFFF) return std::nullopt;  // a lone low surrogate
        if (*code >= 0xD800 && *code <= 0xDBFF) {
          if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return std::nullopt;
          const auto low = hex4(i + 2);
          if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
          i += 6;
          *code = 0x10000 + ((*code - 0xD800) << 10) + (*low - 0xDC00);
        }
        append_utf8(out, *code);
        break;
      }
      default:
        return std::nullopt;
    }
    raw_start = i;
  }
  out.append(text.substr(raw_start, i - raw_start));
  at = i + 1;
  if (!is_valid_utf8(out)) return std::nullopt;
  return out;
}

inline std::optional<std::string> decode_json_string(std::string_view text) {
  std::size_t at = 0;
  auto value = parse_json_string(text, at);
  if (!value || at != text.size()) return std::nullopt;
  return value;
}

// A flat JSON object (string, number and boolean values) as name -> value; a string value is
// decoded, a number or boolean kept as its text, prefixed with '#' to tell it from a string.
// nullopt if `text` is not exactly one such object. Also returns the names in order.
struct flat_object {
  std::map<std::string, std::string> values;
  std::vector<std::string> names;
};

inline std::optional<flat_object> parse_flat_object(std::string_view text) {
  flat_object result;
  std::size_t i = 0;
  if (text.empty() || text[0] != '{') return std::nullopt;
  ++i;
  if (i < text.size() && text[i] == '}')
    return i + 1 == text.size() ? std::optional(result) : std::nullopt;
  while (true) {
    auto name = parse_json_string(text, i);
    if (!name || i >= text.size() || text[i] != ':') return std::nullopt;
    ++i;
    if (i >= text.size()) return std::nullopt;
    std::string value;
    if (text[i] == '"') {
      auto s = parse_json_string(text, i);
      if (!s) return std::nullopt;
      value = *s;
    } else {
      static const std::regex scalar(
          R"(^(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null))");
      std::match_results<std::string_view::const_iterator> m;
      if (!std::regex_search(text.begin() + static_cast<std::ptrdiff_t>(i), text.end(), m, scalar))
        return std::nullopt;
      value = "#" + m.str();
      i += static_cast<std::size_t>(m.length());
    }
    if (result.values.count(*name) != 0) return std::nullopt;  // duplicate name
    result.values[*name] = value;
    result.names.push_back(*name);
    if (i >= text.size()) return std::nullopt;
    if (text[i] == '}') return i + 1 == text.size() ? std::optional(result) : std::nullopt;
    if (text[i] != ',') return std::nullopt;
    ++i;
  }
}

}  // namespace echo::test
