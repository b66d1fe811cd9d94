// log: escaping network bytes for a terminal and for JSON, shortening, and the logger's line
// format (text and JSON) and threshold, read back through a pipe. JSON output is checked with a
// strict parser of our own below, over every byte value and random byte strings.

#include "common/escape.hpp"
#include "common/log.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace std::string_literals;  // "\0"s keeps embedded NULs

// A pipe standing in for stderr. The logger writes to write_fd(); read_all() closes the write end
// and returns everything written, so a missing line shows up as absent text, never as a hang.
class captured_fd {
 public:
  captured_fd() { REQUIRE(::pipe(fds_) == 0); }
  ~captured_fd() {
    close_write();
    ::close(fds_[0]);
  }
  captured_fd(const captured_fd&) = delete;
  captured_fd& operator=(const captured_fd&) = delete;

  int write_fd() const { return fds_[1]; }

  std::string read_all() {
    close_write();
    std::string text;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(fds_[0], buffer, sizeof buffer);
      REQUIRE(n >= 0);
      if (n == 0) return text;
      text.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  void close_write() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }

  int fds_[2] = {-1, -1};
};

// "2026-11-23T15:12:01.123Z " : UTC, milliseconds, then the level tag.
const std::string stamp =
    R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z )";

struct escape_case {
  const char* name;
  std::string in;
  std::string out;
};

}  // namespace

TEST_CASE("escape_for_log: what is safe stays and the rest is escaped", "[log]") {
  std::string printable;
  for (char c = 0x20; c < 0x7f; ++c) {
    if (c != '\\') printable += c;
  }
  const std::vector<escape_case> cases = {
      {"empty", "", ""},
      {"printable ASCII unchanged", printable, printable},
      {"C escapes", "a\nb\rc\td\\e", R"(a\nb\rc\td\\e)"},
      {"NUL, DEL, ESC", "\0\x7f\x1b"s, R"(\x00\x7f\x1b)"},
      {"other C0 controls", "\x01\x08\x0b\x0c\x1f", R"(\x01\x08\x0b\x0c\x1f)"},
      {"terminal escape sequence is defused", "\x1b[2Jhi", R"(\x1b[2Jhi)"},
      {"valid UTF-8: accents", "h\xc3\xa9llo", "h\xc3\xa9llo"},
      {"valid UTF-8: CJK", "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"},
      {"valid UTF-8: emoji", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
      {"valid UTF-8: U+00A0, the first non-control above ASCII", "\xc2\xa0", "\xc2\xa0"},
      {"valid UTF-8: U+10FFFF, the last code point", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},
      {"C1 control U+0080", "\xc2\x80", R"(\xc2\x80)"},
      {"C1 control U+009F", "\xc2\x9f", R"(\xc2\x9f)"},
      {"lone continuation byte", "\x80", R"(\x80)"},
      {"lone lead byte", "\xc3", R"(\xc3)"},
      {"truncated 3-byte sequence", "\xe6\x97", R"(\xe6\x97)"},
      {"truncated sequence before ASCII", "\xe6\x97x", R"(\xe6\x97x)"},
      {"overlong 2-byte '/'", "\xc0\xaf", R"(\xc0\xaf)"},
      {"overlong 2-byte NUL", "\xc1\x80", R"(\xc1\x80)"},
      {"overlong 3-byte", "\xe0\x80\xaf", R"(\xe0\x80\xaf)"},
      {"overlong 4-byte", "\xf0\x80\x80\xaf", R"(\xf0\x80\x80\xaf)"},
      {"surrogate U+D800", "\xed\xa0\x80", R"(\xed\xa0\x80)"},
      {"surrogate U+DFFF", "\xed\xbf\xbf", R"(\xed\xbf\xbf)"},
      {"above U+10FFFF", "\xf4\x90\x80\x80", R"(\xf4\x90\x80\x80)"},
      {"invalid lead bytes", "\xf5\xfe\xff", R"(\xf5\xfe\xff)"},
      {"mixed", "ok \xc3\xa9\n\xff\\", "ok \xc3\xa9\\n\\xff\\\\"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) { REQUIRE(echo::escape_for_log(c.in) == c.out); }
  }
}

TEST_CASE("escape_for_log: output never holds a control byte or invalid UTF-8 start", "[log]") {
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte += static_cast<char>(i);
  const std::string out = echo::escape_for_log(every_byte);
  for (const char ch : out) {
    const auto c = static_cast<unsigned char>(ch);
    INFO("byte " << static_cast<int>(c));
    REQUIRE(c >= 0x20);
    REQUIRE(c < 0x7f);  // single bytes >= 0x80 are never valid UTF-8 alone
  }
  REQUIRE(out.find('\n') == std::string::npos);
}

TEST_CASE("shorten: unchanged when short and cut with a count when long", "[log]") {
  REQUIRE(echo::shorten("", 5).empty());
  REQUIRE(echo::shorten("hello", 5) == "hello");
  REQUIRE(echo::shorten("hello", 100) == "hello");
  REQUIRE(echo::shorten("hello world", 5) == "hello... (6 more bytes)");
  REQUIRE(echo::shorten("ab", 1) == "a... (1 more bytes)");
  REQUIRE(echo::shorten("abc", 0) == "... (3 more bytes)");
  REQUIRE(echo::shorten(std::string(1000, 'x'), 10) ==
          std::string(10, 'x') + "... (990 more bytes)");
}

TEST_CASE("logger: one timestamped line per call to the given fd", "[log]") {
  captured_fd fd;
  const echo::logger log(echo::log_level::info, fd.write_fd());
  log.info("hello world");
  const std::string text = fd.read_all();
  INFO(text);
  REQUIRE(std::regex_match(text, std::regex(stamp + R"(info: hello world\n)")));
}

TEST_CASE("logger: each level's tag", "[log]") {
  captured_fd fd;
  const echo::logger log(echo::log_level::debug, fd.write_fd());
  log.debug("d");
  log.info("i");
  log.warning("w");
  log.error("e");
  log.log(echo::log_level::warning, "via log()");
  const std::string text = fd.read_all();
  INFO(text);
  REQUIRE(std::regex_match(
      text, std::regex(stamp + "debug: d\n" + stamp + "info: i\n" + stamp + "warning: w\n" + stamp +
                       "error: e\n" + stamp + "warning: via log\\(\\)\n")));
}

TEST_CASE("logger: the threshold hides lower levels, always() ignores it", "[log]") {
  SECTION("info threshold hides debug") {
    captured_fd fd;
    const echo::logger log(echo::log_level::info, fd.write_fd());
    REQUIRE_FALSE(log.is_enabled(echo::log_level::debug));
    REQUIRE(log.is_enabled(echo::log_level::info));
    log.debug("hidden");
    log.info("shown");
    const std::string text = fd.read_all();
    INFO(text);
    REQUIRE(std::regex_match(text, std::regex(stamp + "info: shown\n")));
  }
  SECTION("warning threshold (-q) hides info, shows warning and error") {
    captured_fd fd;
    const echo::logger log(echo::log_level::warning, fd.write_fd());
    log.debug("hidden");
    log.info("hidden");
    log.warning("careful");
    log.error("broken");
    const std::string text = fd.read_all();
    INFO(text);
    REQUIRE(std::regex_match(text,
                             std::regex(stamp + "warning: careful\n" + stamp + "error: broken\n")));
  }
  SECTION("always() is written at any threshold, tagged info") {
    captured_fd fd;
    const echo::logger log(echo::log_level::error, fd.write_fd());
    log.warning("hidden");
    log.always("listening on 127.0.0.1:8888");
    const std::string text = fd.read_all();
    INFO(text);
    REQUIRE(
        std::regex_match(text, std::regex(stamp + R"(info: listening on 127\.0\.0\.1:8888\n)")));
  }
  SECTION("set_threshold takes effect at once") {
    captured_fd fd;
    echo::logger log(echo::log_level::info, fd.write_fd());
    log.debug("hidden");
    log.set_threshold(echo::log_level::debug);
    log.debug("now shown");
    const std::string text = fd.read_all();
    INFO(text);
    REQUIRE(std::regex_match(text, std::regex(stamp + "debug: now shown\n")));
  }
}

TEST_CASE("logger: text is written as given in one line", "[log]") {
  // The logger does not escape: callers pass escape_for_log() output, so what arrives here is
  // already one line. Check that a long line is not cut or split.
  captured_fd fd;
  const echo::logger log(echo::log_level::info, fd.write_fd());
  const std::string long_text(10000, 'x');
  log.info(long_text);
  const std::string text = fd.read_all();
  REQUIRE(text.size() == std::string("2026-11-23T15:12:01.123Z info: ").size() + 10000 + 1);
  REQUIRE(text.compare(text.size() - 10001, 10001, long_text + "\n") == 0);
}

TEST_CASE("log_throttle: the first line passes, the next within the interval do not", "[log]") {
  echo::log_throttle throttle(std::chrono::hours(1));
  REQUIRE(throttle.admit());
  REQUIRE(throttle.held_back() == 0);
  for (int i = 0; i < 5; ++i) REQUIRE_FALSE(throttle.admit());
  // Counted, but reported only with the next line let through.
  REQUIRE(throttle.held_back() == 0);
}

TEST_CASE("log_throttle: after the interval the next line passes and counts what was held back",
          "[log]") {
  echo::log_throttle throttle(std::chrono::milliseconds(1));
  REQUIRE(throttle.admit());
  // Every refusal until the interval has passed is held back; the first admitted line says how
  // many there were. Waiting on admit() itself is the condition: no fixed sleep.
  std::size_t held = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!throttle.admit()) {
    ++held;
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  REQUIRE(throttle.held_back() == held);
  // And the count starts again from there.
  std::size_t held_again = 0;
  while (!throttle.admit()) {
    ++held_again;
    REQUIRE(std::chrono::steady_clock::now() < give_up);
  }
  REQUIRE(throttle.held_back() == held_again);
}

TEST_CASE("log_throttle: a count of held-back lines is exact when some were", "[log]") {
  echo::log_throttle throttle(std::chrono::milliseconds(200));
  const auto first = std::chrono::steady_clock::now();
  REQUIRE(throttle.admit());
  int refused = 0;
  for (int i = 0; i < 3; ++i) refused += throttle.admit() ? 0 : 1;
  // Three calls right after the first: all inside 200 ms unless this machine stalled that long.
  if (std::chrono::steady_clock::now() - first < std::chrono::milliseconds(200)) {
    REQUIRE(refused == 3);
  }
  const auto give_up = first + std::chrono::seconds(10);
  while (!throttle.admit()) {
    ++refused;
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(throttle.held_back() == static_cast<std::size_t>(refused));
  REQUIRE(std::chrono::steady_clock::now() - first >= std::chrono::milliseconds(200));
}

TEST_CASE("held_back_note: nothing for zero, a count otherwise", "[log]") {
  REQUIRE(echo::held_back_note(0).empty());
  REQUIRE(echo::held_back_note(1) == " (1 more since the last warning)");
  REQUIRE(echo::held_back_note(41) == " (41 more since the last warning)");
}

// --- JSON ------------------------------------------------------------------------------------

namespace {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points
// above U+10FFFF). Written apart from common/log on purpose, to check it.
bool is_valid_utf8(std::string_view s) {
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

void append_utf8(std::string& out, char32_t code) {
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
std::optional<std::string> parse_json_string(std::string_view text, std::size_t& at) {
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

std::optional<std::string> decode_json_string(std::string_view text) {
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

std::optional<flat_object> parse_flat_object(std::string_view text) {
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

// What the JSON value of `bytes` must decode to: the bytes, with each byte that is not part of
// valid UTF-8 as the text \xHH.
std::string expected_json_value(std::string_view bytes) {
  std::string out;
  std::size_t i = 0;
  while (i < bytes.size()) {
    std::size_t n = 1;
    for (std::size_t len = 4; len >= 1; --len) {
      if (i + len <= bytes.size() && is_valid_utf8(bytes.substr(i, len))) {
        n = len;
        break;
      }
    }
    if (n == 1 && static_cast<unsigned char>(bytes[i]) >= 0x80) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(bytes[i]));
      out += hex;
    } else {
      out.append(bytes.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace

// The checks below are only as good as this parser: it must refuse what is not valid JSON.
TEST_CASE("the test's JSON string parser refuses invalid strings", "[log][json]") {
  for (const std::string& bad :
       {"\"a"s, "a\""s, "\"a\nb\""s, "\"\\x\""s, "\"\\u12\""s, "\"\\ud800\""s, "\"\\udc00\""s,
        "\"\xff\""s, "\"\xed\xa0\x80\""s, "\"a\"b"s, "\"\0\""s}) {
    INFO(echo::escape_for_log(bad));
    REQUIRE_FALSE(decode_json_string(bad));
  }
  REQUIRE(decode_json_string(R"("\ud83d\ude00 \/ \b")") == "\xf0\x9f\x98\x80 / \b"s);
}

TEST_CASE("json_quote: exact escapes", "[log][json]") {
  const std::vector<escape_case> cases = {
      {"empty", "", R"("")"},
      {"plain", "hello world", R"("hello world")"},
      {"quote and backslash", R"(say "hi" \o/)", R"("say \"hi\" \\o/")"},
      {"C escapes", "a\nb\rc\td", R"("a\nb\rc\td")"},
      {"NUL, ESC, DEL", "\0\x1b\x7f"s, R"("\u0000\u001b\u007f")"},
      {"C1 controls as \\u", "\xc2\x80\xc2\x9f", R"("\u0080\u009f")"},
      {"valid UTF-8 as it is", "h\xc3\xa9llo \xf0\x9f\x98\x80",
       "\"h\xc3\xa9llo \xf0\x9f\x98\x80\""},
      {"invalid bytes as the text \\xHH", "\xff\xc3(", R"("\\xff\\xc3(")"},
      {"surrogate", "\xed\xa0\x80", R"("\\xed\\xa0\\x80")"},
      {"overlong", "\xc0\xaf", R"("\\xc0\\xaf")"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) { REQUIRE(echo::json_quote(c.in) == c.out); }
  }
}

TEST_CASE("json_quote: every byte value alone gives a valid JSON string in valid UTF-8",
          "[log][json]") {
  for (int b = 0; b < 256; ++b) {
    const std::string in(1, static_cast<char>(b));
    const std::string quoted = echo::json_quote(in);
    INFO("byte " << b << " -> " << quoted);
    const auto decoded = decode_json_string(quoted);
    REQUIRE(decoded);
    REQUIRE(is_valid_utf8(quoted));
    if (b < 0x80) {
      REQUIRE(*decoded == in);  // ASCII round-trips exactly, controls included
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", b);
      REQUIRE(*decoded == hex);
    }
  }
}

TEST_CASE("json_quote: random byte strings give valid JSON that decodes to valid UTF-8",
          "[log][json]") {
  std::mt19937 random(20261123);
  // Bytes drawn mostly from the interesting places: controls, quote and backslash, UTF-8 leads
  // and continuations.
  const std::string alphabet =
      "\0\x01\x1f\"\\\n\r\tAz\x7f\x80\x9f\xa0\xbf\xc2\xc3\xdf\xe0\xed\xef\xf0\xf4\xf5\xff"s;
  std::uniform_int_distribution<int> length(0, 40);
  std::uniform_int_distribution<int> any_byte(0, 255);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::bernoulli_distribution from_alphabet(0.7);
  for (int round = 0; round < 20000; ++round) {
    std::string in;
    const int n = length(random);
    for (int k = 0; k < n; ++k) {
      in += from_alphabet(random) ? alphabet[pick(random)] : static_cast<char>(any_byte(random));
    }
    const std::string quoted = echo::json_quote(in);
    const auto decoded = decode_json_string(quoted);
    INFO("input bytes: " << echo::escape_for_log(in) << "\njson: " << quoted);
    REQUIRE(decoded);
    REQUIRE(is_valid_utf8(*decoded));
    REQUIRE(*decoded == expected_json_value(in));
    if (is_valid_utf8(in)) REQUIRE(*decoded == in);
  }
}

TEST_CASE("parse_log_format: text and json only", "[log][json]") {
  REQUIRE(echo::parse_log_format("text") == echo::log_format::text);
  REQUIRE(echo::parse_log_format("json") == echo::log_format::json);
  REQUIRE_FALSE(echo::parse_log_format("JSON"));
  REQUIRE_FALSE(echo::parse_log_format(""));
  REQUIRE(echo::to_string(echo::log_format::json) == "json");
  REQUIRE(echo::to_string(echo::log_format::text) == "text");
}

TEST_CASE("logger: event() in text format writes the text line as log() does", "[log][json]") {
  captured_fd fd;
  const echo::logger log(echo::log_level::info, fd.write_fd(), echo::log_format::text);
  log.event(echo::log_level::info, "closed", {{"peer", "127.0.0.1:5"}, {"bytes_in", 3u}},
            "closed 127.0.0.1:5");
  log.event(echo::log_level::debug, "message", {{"peer", "x"}}, "hidden");
  log.always_event("listening", {{"port", std::uint16_t{8888}}}, "listening on 127.0.0.1:8888");
  const std::string text = fd.read_all();
  INFO(text);
  REQUIRE(std::regex_match(text, std::regex(stamp + "info: closed 127\\.0\\.0\\.1:5\n" + stamp +
                                            "info: listening on 127\\.0\\.0\\.1:8888\n")));
}

TEST_CASE("logger: JSON format writes one object per line, fields in order", "[log][json]") {
  captured_fd fd;
  const echo::logger log(echo::log_level::info, fd.write_fd(), echo::log_format::json);
  const std::string peer = "[::1]:40000";
  log.event(echo::log_level::info, "closed",
            {{"peer", peer},
             {"bytes_in", std::uint64_t{18446744073709551615u}},
             {"bytes_out", std::size_t{0}},
             {"duration_ms", 1500},
             {"offset", -3},
             {"tls", true},
             {"reason", "eof"}},
            "closed [::1]:40000 after 1.500s");
  log.warning("read from x: \"bad\" \xff\n");
  log.debug("hidden");
  log.event(echo::log_level::debug, "message", {{"text", "hidden"}}, "hidden");
  log.always("listening on 127.0.0.1:1 (reply echo)");
  const std::string text = fd.read_all();
  INFO(text);
  REQUIRE(is_valid_utf8(text));
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    REQUIRE(end != std::string::npos);
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  REQUIRE(lines.size() == 3);

  const auto closed = parse_flat_object(lines[0]);
  REQUIRE(closed);
  REQUIRE(closed->names == std::vector<std::string>{"ts", "level", "event", "peer", "bytes_in",
                                                    "bytes_out", "duration_ms", "offset", "tls",
                                                    "reason", "message"});
  const std::regex ts(
      R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z)");
  CHECK(std::regex_match(closed->values.at("ts"), ts));
  CHECK(closed->values.at("level") == "info");
  CHECK(closed->values.at("event") == "closed");
  CHECK(closed->values.at("peer") == "[::1]:40000");
  CHECK(closed->values.at("bytes_in") == "#18446744073709551615");
  CHECK(closed->values.at("bytes_out") == "#0");
  CHECK(closed->values.at("duration_ms") == "#1500");
  CHECK(closed->values.at("offset") == "#-3");
  CHECK(closed->values.at("tls") == "#true");
  CHECK(closed->values.at("reason") == "eof");
  CHECK(closed->values.at("message") == "closed [::1]:40000 after 1.500s");

  const auto warning = parse_flat_object(lines[1]);
  REQUIRE(warning);
  CHECK(warning->names == std::vector<std::string>{"ts", "level", "event", "message"});
  CHECK(warning->values.at("level") == "warning");
  CHECK(warning->values.at("event") == "warning");
  CHECK(warning->values.at("message") == "read from x: \"bad\" \\xff\n");

  const auto listening = parse_flat_object(lines[2]);
  REQUIRE(listening);
  CHECK(listening->values.at("level") == "info");
  CHECK(listening->values.at("event") == "info");
  CHECK(listening->values.at("message") == "listening on 127.0.0.1:1 (reply echo)");
}
