// line_splitter: line endings, limits, stopping and the unterminated rest, and the rule that the
// chunks the bytes arrive in never change the lines that come out.

#include "common/framing.hpp"

#include "chunking.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using echo::line;
using echo::line_splitter;
using echo::test::all_chunkings;
using echo::test::chunking;
using echo::test::describe;
using echo::test::printable;
using status = line_splitter::status;

constexpr std::size_t never_stop = std::numeric_limits<std::size_t>::max();

// What one run of a splitter produced. The views on_line gets die with the call, so copy them.
struct run_result {
  std::vector<std::string> contents;
  std::vector<std::string> endings;
  // Of the last feed, or after an ok run of take_partial at the end (too_long when the held
  // bytes, as a message, are longer than max_line).
  status final_status = status::ok;
  std::string partial;  // what take_partial hands over afterwards (only meaningful after ok)

  bool operator==(const run_result& other) const {
    return contents == other.contents && endings == other.endings &&
           final_status == other.final_status && partial == other.partial;
  }
};

std::string_view name_of(status s) {
  switch (s) {
    case status::ok:
      return "ok";
    case status::stopped:
      return "stopped";
    case status::too_long:
      return "too_long";
  }
  return "?";
}

// Feeds the chunks in order as a session would: after a non-ok status it stops feeding, because
// the connection is then being closed. on_line returns false once `stop_after` lines were seen.
run_result run(const chunking& chunks, std::size_t max_line, std::size_t stop_after = never_stop) {
  line_splitter splitter(max_line);
  run_result result;
  const auto on_line = [&](const line& l) {
    result.contents.emplace_back(l.content);
    result.endings.emplace_back(l.ending);
    return result.contents.size() < stop_after;
  };
  for (const auto chunk : chunks) {
    result.final_status = splitter.feed(chunk, on_line);
    if (result.final_status != status::ok) break;
  }
  // After stopped or too_long the held bytes depend on where the chunks were cut, and nobody
  // reads them (the connection closes), so only an ok run's rest is part of the contract.
  if (result.final_status == status::ok) {
    result.final_status = splitter.take_partial([&](const line& l) {
      CHECK(l.ending.empty());
      result.partial = std::string(l.content);
      return true;
    });
  }
  return result;
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<run_result> {
  static std::string convert(const run_result& r) {
    std::ostringstream out;
    out << "lines {";
    for (std::size_t i = 0; i < r.contents.size(); ++i) {
      out << (i == 0 ? " " : ", ") << '"' << printable(r.contents[i]) << "\"+\""
          << printable(r.endings[i]) << '"';
    }
    out << " } status " << name_of(r.final_status) << " partial \"" << printable(r.partial) << '"';
    return out.str();
  }
};
}  // namespace Catch

namespace {

struct framing_case {
  const char* name;
  std::string input;
  std::size_t max_line;
  std::size_t stop_after;
  run_result expected;
};

using namespace std::string_literals;  // "a\0b"s keeps embedded NULs

const std::vector<framing_case> framing_cases = {
    {"no input", "", 16, never_stop, {{}, {}, status::ok, ""}},
    {"LF endings", "one\ntwo\n", 16, never_stop, {{"one", "two"}, {"\n", "\n"}, status::ok, ""}},
    {"CRLF endings",
     "one\r\ntwo\r\n",
     16,
     never_stop,
     {{"one", "two"}, {"\r\n", "\r\n"}, status::ok, ""}},
    {"mixed endings and an unterminated rest",
     "a\r\nb\nc",
     16,
     never_stop,
     {{"a", "b"}, {"\r\n", "\n"}, status::ok, "c"}},
    {"empty lines",
     "\n\r\n\n",
     16,
     never_stop,
     {{"", "", ""}, {"\n", "\r\n", "\n"}, status::ok, ""}},
    {"lone CR inside a line is content",
     "a\rb\n",
     16,
     never_stop,
     {{"a\rb"}, {"\n"}, status::ok, ""}},
    {"only the CR just before LF is ending",
     "\r\r\n",
     16,
     never_stop,
     {{"\r"}, {"\r\n"}, status::ok, ""}},
    {"trailing CR stays in the partial", "x\r", 16, never_stop, {{}, {}, status::ok, "x\r"}},
    {"embedded NULs",
     "a\0b\n\0\n\0"s,
     16,
     never_stop,
     {{"a\0b"s, "\0"s}, {"\n", "\n"}, status::ok, "\0"s}},
    {"unterminated only", "hello", 16, never_stop, {{}, {}, status::ok, "hello"}},
    {"line of exactly max_line", "abcd\n", 4, never_stop, {{"abcd"}, {"\n"}, status::ok, ""}},
    {"line of max_line + 1", "abcde\n", 4, never_stop, {{}, {}, status::too_long, ""}},
    {"lines before an over-long line are delivered",
     "ok\nabcde\nlater\n",
     4,
     never_stop,
     {{"ok"}, {"\n"}, status::too_long, ""}},
    {"partial of exactly max_line",
     "ok\nabcd",
     4,
     never_stop,
     {{"ok"}, {"\n"}, status::ok, "abcd"}},
    {"partial of max_line + 1", "ok\nabcde", 4, never_stop, {{"ok"}, {"\n"}, status::too_long, ""}},
    // The limit counts a line's content, without its "\n" or "\r\n". Until its '\n' comes, an
    // unfinished line ending in '\r' may be max_line bytes and that CR.
    {"CRLF line of exactly max_line",
     "0123456789\r\n",
     10,
     never_stop,
     {{"0123456789"}, {"\r\n"}, status::ok, ""}},
    {"CRLF line: the CR is ending, not content",
     "abcd\r\nab\r\n",
     4,
     never_stop,
     {{"abcd", "ab"}, {"\r\n", "\r\n"}, status::ok, ""}},
    {"CRLF line of max_line + 1 is too long",
     "abcde\r\n",
     4,
     never_stop,
     {{}, {}, status::too_long, ""}},
    {"partial of max_line and a CR, at the end, is a message too long",
     "ok\nabcd\r",
     4,
     never_stop,
     {{"ok"}, {"\n"}, status::too_long, ""}},
    {"partial of max_line and a CR, then more content, is too long",
     "abcd\rx\n",
     4,
     never_stop,
     {{}, {}, status::too_long, ""}},
    {"partial of max_line and a CR that is content, then CRLF, is too long",
     "abcd\r\r\n",
     4,
     never_stop,
     {{}, {}, status::too_long, ""}},
    {"partial of max_line - 1 and a CR is handed over",
     "abc\r",
     4,
     never_stop,
     {{}, {}, status::ok, "abc\r"}},
    {"empty CRLF lines at max_line 1",
     "\r\n\r\nx\r\n",
     1,
     never_stop,
     {{"", "", "x"}, {"\r\n", "\r\n", "\r\n"}, status::ok, ""}},
    {"stop after the second line",
     "a\nb\nc\n",
     16,
     2,
     {{"a", "b"}, {"\n", "\n"}, status::stopped, ""}},
    {"stop after the first line drops the rest",
     "a\r\nbc\nd",
     16,
     1,
     {{"a"}, {"\r\n"}, status::stopped, ""}},
    {"max_line of 1", "x\n\nyz\n", 1, never_stop, {{"x", ""}, {"\n", "\n"}, status::too_long, ""}},
};

}  // namespace

TEST_CASE("line_splitter: the same lines and status whatever the chunking", "[framing]") {
  for (const auto& c : framing_cases) {
    SECTION(c.name) {
      INFO("input \"" << printable(c.input) << "\" max_line " << c.max_line);
      const run_result whole = run({c.input}, c.max_line, c.stop_after);
      REQUIRE(whole == c.expected);
      for (const auto& chunks : all_chunkings(c.input)) {
        INFO("chunks " << describe(chunks));
        REQUIRE(run(chunks, c.max_line, c.stop_after) == whole);
      }
    }
  }
}

TEST_CASE("line_splitter: take_partial hands over the held bytes once", "[framing]") {
  line_splitter splitter(16);
  REQUIRE_FALSE(splitter.has_partial());
  REQUIRE(splitter.max_line() == 16);

  int calls = 0;
  const auto count = [&](const line&) {
    ++calls;
    return true;
  };
  splitter.take_partial(count);
  REQUIRE(calls == 0);  // nothing held, nothing delivered (not even an empty message)

  REQUIRE(splitter.feed("first\nsec", count) == status::ok);
  REQUIRE(calls == 1);
  REQUIRE(splitter.has_partial());
  REQUIRE(splitter.partial_size() == 3);
  REQUIRE(splitter.feed("ond", count) == status::ok);
  REQUIRE(splitter.partial_size() == 6);

  std::string content;
  std::string ending = "not called";
  splitter.take_partial([&](const line& l) {
    content = std::string(l.content);
    ending = std::string(l.ending);
    return true;
  });
  REQUIRE(content == "second");
  REQUIRE(ending.empty());
  REQUIRE_FALSE(splitter.has_partial());
  REQUIRE(splitter.partial_size() == 0);

  // The splitter is reusable: the taken bytes do not leak into the next line.
  std::string next;
  REQUIRE(splitter.feed("third\n", [&](const line& l) {
    next = std::string(l.content);
    return true;
  }) == status::ok);
  REQUIRE(next == "third");
}

TEST_CASE("line_splitter: an over-long partial is refused before it is stored", "[framing]") {
  line_splitter splitter(4);
  const auto ignore = [](const line&) { return true; };
  REQUIRE(splitter.feed("abcd", ignore) == status::ok);
  REQUIRE(splitter.partial_size() == 4);
  REQUIRE(splitter.feed("e", ignore) == status::too_long);
  // Memory stays bounded by max_line: the byte that broke the limit was not appended.
  REQUIRE(splitter.partial_size() <= 4);
}

TEST_CASE("line_splitter: consumed() says how much of a stopped feed was used", "[framing]") {
  struct consumed_case {
    std::string held;  // fed first (no newline), so the stopping line may start before `in`
    std::string in;
    std::size_t stop_after;
    status expected_status;
    std::size_t expected_consumed;
  };
  const std::vector<consumed_case> cases = {
      {"", "a\nbb\r\nc", 1, status::stopped, 2},
      {"", "a\nbb\r\nc", 2, status::stopped, 6},
      {"", "a\nbb\r\nc", 3, status::ok, 7},
      {"", "a\nbb\r\n", 2, status::stopped, 6},  // stopped on the last line: all of it used
      {"x", "y\nz\n", 1, status::stopped, 2},
      {"x\r", "\nz\n", 1, status::stopped, 1},
      {"", "", 1, status::ok, 0},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION("held \"" << printable(c.held) << "\" in \"" << printable(c.in)
                              << "\" stop after " << c.stop_after) {
      line_splitter splitter(16);
      std::size_t lines = 0;
      const auto on_line = [&](const line&) { return ++lines < c.stop_after; };
      REQUIRE(splitter.feed(c.held, on_line) == status::ok);
      REQUIRE(splitter.feed(c.in, on_line) == c.expected_status);
      REQUIRE(splitter.consumed() == c.expected_consumed);
    }
  }
}

TEST_CASE("line_splitter: a long line's buffer is freed once the line is done", "[framing]") {
  line_splitter splitter(64 * 1024);
  const auto ignore = [](const line&) { return true; };
  REQUIRE(splitter.feed(std::string(60000, 'x'), ignore) == status::ok);
  REQUIRE(splitter.memory_held() >= 60000);
  SECTION("ended by a newline") { REQUIRE(splitter.feed("\n", ignore) == status::ok); }
  SECTION("taken as an unterminated message") {
    REQUIRE(splitter.take_partial(ignore) == status::ok);
  }
  REQUIRE_FALSE(splitter.has_partial());
  REQUIRE(splitter.memory_held() <= 256);
}
