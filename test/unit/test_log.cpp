// log: shortening, throttling, and the logger's line format (text and JSON) and threshold, read
// back through a pipe. JSON lines are checked with the strict parser of json_check.hpp; the
// escapers themselves are test_escape's.

#include "common/log.hpp"

#include <unistd.h>

#include "json_check.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

using echo::test::is_valid_utf8;
using echo::test::parse_flat_object;

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

}  // namespace

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
