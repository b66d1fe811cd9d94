// log: escaping network bytes for a terminal, shortening, and the logger's line format and
// threshold, read back through a pipe.

#include "common/log.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
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
