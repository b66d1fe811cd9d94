#include "common/escape.hpp"

#include "common/errors.hpp"

#include <cctype>
#include <cstddef>

namespace echo {

namespace {

// The valid UTF-8 sequence starting at s[i]: its length and code point, or a length of 0 when
// there is none (a stray, overlong, surrogate or out-of-range sequence, or a cut one).
struct utf8_sequence {
  std::size_t length = 0;
  char32_t code = 0;
};

utf8_sequence decode_utf8(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  std::size_t length;
  char32_t code;
  if (lead < 0x80) {
    return {1, lead};
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07u;
  } else {
    return {};
  }
  if (i + length > s.size()) return {};
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) return {};
    code = (code << 6) | (byte(i + k) & 0x3Fu);
  }
  const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  if (overlong || surrogate || code > 0x10FFFF) return {};
  return {length, code};
}

// The length of the valid UTF-8 sequence starting at s[i] that encodes U+00A0 or above (C1
// controls stay escaped), or 0 when there is none.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const utf8_sequence sequence = decode_utf8(s, i);
  return sequence.code >= 0xA0 ? sequence.length : 0;
}

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, const char* prefix, unsigned char c) {
  out += prefix;
  out += hex_digits[c >> 4];
  out += hex_digits[c & 0x0F];
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool needs_quotes(std::string_view value) {
  if (value.empty() || value.front() == '"') return true;
  if (std::isspace(static_cast<unsigned char>(value.front())) ||
      std::isspace(static_cast<unsigned char>(value.back()))) {
    return true;
  }
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '#' || u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

std::string escape_for_log(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (const std::size_t length = utf8_sequence_length(bytes, i); length != 0) {
      out.append(bytes.substr(i, length));
      i += length;
      continue;
    }
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        append_hex_byte(out, "\\x", c);
    }
    ++i;
  }
  return out;
}

void append_json_string(std::string& out, std::string_view bytes) {
  out += '"';
  for (std::size_t i = 0; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const utf8_sequence sequence = decode_utf8(bytes, i);
    if (sequence.length == 0) {
      // Not UTF-8: the text \xHH (its backslash escaped for JSON), as escape_for_log shows it.
      append_hex_byte(out, "\\\\x", c);
      ++i;
      continue;
    }
    if (sequence.code >= 0xA0) {
      out.append(bytes.substr(i, sequence.length));
      i += sequence.length;
      continue;
    }
    switch (sequence.code) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:  // the other C0 controls, DEL and the C1 controls (U+0080 to U+009F)
        append_hex_byte(out, "\\u00", static_cast<unsigned char>(sequence.code));
    }
    i += sequence.length;
  }
  out += '"';
}

std::string json_quote(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 2);
  append_json_string(out, bytes);
  return out;
}

std::string quote_config_value(std::string_view value) {
  if (!needs_quotes(value)) return std::string(value);
  static constexpr char hex[] = "0123456789abcdef";
  std::string quoted = "\"";
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\':
        quoted += "\\\\";
        break;
      case '"':
        quoted += "\\\"";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (c == '#' || u < 0x20 || u == 0x7f) {
          quoted += "\\x";
          quoted += hex[u >> 4];
          quoted += hex[u & 0xf];
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

std::string unquote_config_value(std::string_view value) {
  if (value.empty() || value.front() != '"') return std::string(value);
  if (value.size() < 2 || value.back() != '"') {
    throw usage_error("missing closing quote in " + std::string(value) +
                      " (# starts a comment even between quotes: write \\x23)");
  }
  const std::string_view inside = value.substr(1, value.size() - 2);
  std::string text;
  for (std::size_t i = 0; i < inside.size(); ++i) {
    if (inside[i] != '\\') {
      text += inside[i];
      continue;
    }
    const char next = i + 1 < inside.size() ? inside[i + 1] : '\0';
    ++i;
    switch (next) {
      case '\\':
        text += '\\';
        break;
      case '"':
        text += '"';
        break;
      case 'n':
        text += '\n';
        break;
      case 'r':
        text += '\r';
        break;
      case 't':
        text += '\t';
        break;
      case 'x': {
        const int high = i + 1 < inside.size() ? hex_digit(inside[i + 1]) : -1;
        const int low = i + 2 < inside.size() ? hex_digit(inside[i + 2]) : -1;
        if (high < 0 || low < 0) throw usage_error("bad \\x escape in " + std::string(value));
        text += static_cast<char>(high * 16 + low);
        i += 2;
        break;
      }
      default:
        throw usage_error("unknown escape in " + std::string(value) +
                          ": use \\\\ \\\" \\n \\r \\t or \\xHH");
    }
  }
  return text;
}

}  // namespace echo
