// libFuzzer target for line_splitter and escape_for_log. Input layout: byte 0 is max_line (bit 7
// set: the default, else 1 + its low six bits), byte 1 % 8 the line after which on_line says stop
// (0: never), bytes 2..5 the chunking plan (fuzz_support.hpp); the rest is the stream. The
// splitter must deliver what a plain reading of framing.hpp's contract predicts for the whole
// stream, whatever the chunks; escape_for_log gets the whole input.

#include "common/escape.hpp"
#include "common/framing.hpp"
#include "common/reply_policy.hpp"

#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using echo::line_splitter;
using echo::fuzz::cut;
using echo::fuzz::require;
using status = line_splitter::status;

struct expectation {
  std::size_t lines_end;  // the complete lines delivered are in[0, lines_end)
  status result;          // of the last feed; when ok, in[lines_end, size) is held back
};

// framing.hpp read literally: lines in order until one is longer than max_line (its content, not
// its "\n" or "\r\n"; an unterminated rest may be max_line bytes and a '\r' that could still be
// an ending) or on_line asks to stop.
expectation expect(std::string_view in, std::size_t max_line, std::size_t stop_after) {
  std::size_t begin = 0;
  for (std::size_t count = 1;; ++count) {
    const std::size_t lf = in.find('\n', begin);
    if (lf == std::string_view::npos) {
      const std::size_t rest = in.size() - begin;
      const bool fits = rest <= max_line || (rest == max_line + 1 && in.back() == '\r');
      return {begin, fits ? status::ok : status::too_long};
    }
    const std::size_t length = lf - begin - (lf > begin && in[lf - 1] == '\r' ? 1 : 0);
    if (length > max_line) return {begin, status::too_long};
    begin = lf + 1;
    if (count == stop_after) return {begin, status::stopped};
  }
}

void check_splitter(std::string_view in, std::string_view steps, std::size_t max_line,
                    std::size_t stop_after) {
  line_splitter splitter(max_line);
  std::string lines;
  std::size_t count = 0;
  const auto on_line = [&](const echo::line& l) {
    require(l.ending == "\n" || l.ending == "\r\n");
    require(l.content.find('\n') == std::string_view::npos);
    require(l.ending == "\r\n" || l.content.empty() || l.content.back() != '\r');
    require(l.content.size() <= max_line);
    lines.append(l.content).append(l.ending);
    return ++count != stop_after;
  };
  status result = status::ok;
  for (const auto& c : cut(in, steps, false)) {
    result = splitter.feed(c.bytes, on_line);
    require(splitter.partial_size() <= max_line + 1);
    require(splitter.has_partial() == (splitter.partial_size() != 0));
    if (result != status::ok) break;
  }
  const expectation want = expect(in, max_line, stop_after);
  require(result == want.result);
  require(lines == in.substr(0, want.lines_end));
  if (result != status::ok) return;
  std::string held;
  const status taken = splitter.take_partial([&](const echo::line& l) {
    require(l.ending.empty() && !l.content.empty() && l.content.size() <= max_line);
    held = l.content;
    return true;
  });
  // An unterminated rest of max_line bytes and a '\r' waited for an LF; with none, it is too long.
  const std::string_view rest = in.substr(want.lines_end);
  require(taken == (rest.size() > max_line ? status::too_long : status::ok));
  require(held == (taken == status::ok ? rest : std::string_view()));
  require(!splitter.has_partial() || taken == status::too_long);
}

// The length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7) for a code point of
// U+00A0 or above, else 0: U+0080..U+009F are C1 controls, which must stay escaped.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u;
  };
  const unsigned lead = at(i);
  std::size_t length = 0;
  unsigned low = 0x80, high = 0xbf;  // bounds of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    if (lead == 0xc2) low = 0xa0;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // no overlong forms
    if (lead == 0xed) high = 0x9f;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (at(i + 1) < low || at(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xbf) return 0;
  }
  return length;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The escaped text holds no control byte and only valid UTF-8, and decodes back to the input.
void check_escape(std::string_view in) {
  const std::string out = echo::escape_for_log(in);
  std::string decoded;
  for (std::size_t i = 0; i < out.size();) {
    const auto c = static_cast<unsigned char>(out[i]);
    require(c >= 0x20 && c != 0x7f);
    if (c == '\\') {
      require(i + 1 < out.size());
      const char kind = out[i + 1];
      if (kind == 'x') {
        require(i + 3 < out.size());
        const int high = hex_value(out[i + 2]), low = hex_value(out[i + 3]);
        require(high >= 0 && low >= 0);
        decoded += static_cast<char>(high * 16 + low);
        i += 4;
        continue;
      }
      const std::string_view kinds = "\\nrt", bytes = "\\\n\r\t";
      const std::size_t k = kinds.find(kind);
      require(k != std::string_view::npos);
      decoded += bytes[k];
      i += 2;
    } else if (c < 0x80) {
      decoded += static_cast<char>(c);
      ++i;
    } else {
      const std::size_t length = utf8_length(out, i);
      require(length != 0);
      decoded.append(out, i, length);
      i += length;
    }
  }
  require(decoded == in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_escape(input);
  if (size < 6) return 0;
  const std::size_t max_line =
      (data[0] & 0x80u) != 0 ? echo::default_max_line : 1u + (data[0] & 0x3fu);
  check_splitter(input.substr(6), input.substr(2, 4), max_line, data[1] % 8u);
  return 0;
}
