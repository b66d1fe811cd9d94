// escape: the three escapers of common/escape. Network bytes for a terminal log line
// (escape_for_log) and for a JSON log value (json_quote, checked with the strict parser of
// json_check.hpp over every byte value and random byte strings), and option values written to a
// config file line and read back (quote_config_value, unquote_config_value).

#include "common/escape.hpp"

#include "json_check.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::string_literals;  // "\0"s keeps embedded NULs
using echo::test::decode_json_string;
using echo::test::is_valid_utf8;

struct escape_case {
  const char* name;
  std::string in;
  std::string out;
};

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

TEST_CASE("escape_for_log: what is safe stays and the rest is escaped", "[escape]") {
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

TEST_CASE("escape_for_log: output never holds a control byte or invalid UTF-8 start", "[escape]") {
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

// The checks below are only as good as this parser: it must refuse what is not valid JSON.
TEST_CASE("the test's JSON string parser refuses invalid strings", "[escape][json]") {
  for (const std::string& bad :
       {"\"a"s, "a\""s, "\"a\nb\""s, "\"\\x\""s, "\"\\u12\""s, "\"\\ud800\""s, "\"\\udc00\""s,
        "\"\xff\""s, "\"\xed\xa0\x80\""s, "\"a\"b"s, "\"\0\""s}) {
    INFO(echo::escape_for_log(bad));
    REQUIRE_FALSE(decode_json_string(bad));
  }
  REQUIRE(decode_json_string(R"("\ud83d\ude00 \/ \b")") == "\xf0\x9f\x98\x80 / \b"s);
}

TEST_CASE("json_quote: exact escapes", "[escape][json]") {
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
          "[escape][json]") {
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
          "[escape][json]") {
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

TEST_CASE(
    "quote_config_value: config values are quoted only when a file could not hold them as they are",
    "[escape]") {
  struct quote_case {
    std::string value;
    std::string written;
  };
  const std::vector<quote_case> cases = {
      {"8888", "8888"},
      {"Echo: x", "Echo: x"},
      {"a\\b", "a\\b"},
      {"caf\xc3\xa9", "caf\xc3\xa9"},
      {"", "\"\""},
      {"Echo: ", "\"Echo: \""},
      {" x", "\" x\""},
      {"a#b", "\"a\\x23b\""},
      {"\"q\"", "\"\\\"q\\\"\""},
      {"line\r\n", "\"line\\r\\n\""},
      {"tab\there", "\"tab\\there\""},
      {std::string("nul\0!", 5), "\"nul\\x00!\""},
      {"\x7f", "\"\\x7f\""},
  };
  for (const auto& c : cases) {
    INFO(c.value);
    CHECK(echo::quote_config_value(c.value) == c.written);
    CHECK(echo::unquote_config_value(c.written) == c.value);
  }
}

TEST_CASE("quote_config_value: every byte survives quoting and unquoting", "[escape]") {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  CHECK(echo::unquote_config_value(echo::quote_config_value(all)) == all);
  CHECK(echo::quote_config_value(all).find('#') == std::string::npos);
  CHECK(echo::quote_config_value(all).find('\n') == std::string::npos);
}
