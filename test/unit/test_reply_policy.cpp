// reply_policy: what the server sends back in each mode, --once, over-long lines, the message
// observer, and the rule that the chunks the bytes arrive in never change the reply.

#include "common/reply_policy.hpp"

#include "chunking.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace {

using echo::done_reason;
using echo::reply_config;
using echo::reply_mode;
using echo::reply_policy;
using echo::test::all_chunkings;
using echo::test::chunking;
using echo::test::describe;
using echo::test::printable;
using namespace std::string_literals;  // "a\0b"s keeps embedded NULs

reply_config make_config(reply_mode mode, bool once = false,
                         std::size_t max_line = echo::default_max_line) {
  reply_config config;
  config.mode = mode;
  config.once = once;
  config.max_line = max_line;
  return config;
}

// Feeds every chunk (also after is_done(), to show the rest is ignored) and answers all of it
// before the next, as a session does, then flush_partial() as at EOF, and returns everything the
// policy asked to send. The policy keeps a reference to `config`, so the caller's config must
// outlive it.
std::string converse(const reply_config& config, const chunking& chunks,
                     done_reason* reason = nullptr) {
  reply_policy policy(config);
  std::string out;
  for (const auto chunk : chunks) {
    out += policy.feed(chunk);
    while (policy.has_unanswered()) out += policy.answer_more();
  }
  out += policy.flush_partial();
  if (reason != nullptr) *reason = policy.reason();
  return out;
}

std::string all_byte_values() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  return bytes;
}

}  // namespace

TEST_CASE("reply_mode: parse and to_string round-trip, anything else is rejected",
          "[reply_policy]") {
  for (const auto mode : {reply_mode::echo, reply_mode::prefix, reply_mode::ack}) {
    const auto name = echo::to_string(mode);
    INFO(name);
    REQUIRE(echo::parse_reply_mode(name) == mode);
  }
  REQUIRE(echo::to_string(reply_mode::echo) == "echo");
  REQUIRE(echo::to_string(reply_mode::prefix) == "prefix");
  REQUIRE(echo::to_string(reply_mode::ack) == "ack");
  for (const std::string_view bad : {"ECHO", "", "foo", "echo ", "Prefix", "acks"}) {
    INFO("'" << bad << "'");
    REQUIRE_FALSE(echo::parse_reply_mode(bad).has_value());
  }
}

TEST_CASE("reply_policy: too_long_reply wording", "[reply_policy]") {
  REQUIRE(reply_policy::too_long_reply(65536) == "error: line longer than 65536 bytes, closing\n");
  REQUIRE(reply_policy::too_long_reply(5) == "error: line longer than 5 bytes, closing\n");
}

TEST_CASE("reply_policy echo: every byte back exactly as it came", "[reply_policy]") {
  const reply_config config = make_config(reply_mode::echo);

  SECTION("text, CRLF and unterminated data are returned unchanged and at once") {
    reply_policy policy(config);
    REQUIRE(policy.feed("hello\r\nworld\npartial") == "hello\r\nworld\npartial");
    REQUIRE_FALSE(policy.has_partial());  // plain echo holds nothing back
    REQUIRE(policy.flush_partial().empty());
    REQUIRE_FALSE(policy.is_done());
  }
  SECTION("binary data with NULs and all 256 byte values") {
    const std::string binary = "\0\xff\r\0\n"s + all_byte_values() + all_byte_values();
    reply_policy policy(config);
    const auto out = policy.feed(binary);
    REQUIRE(out.size() == binary.size());
    REQUIRE(out == binary);
    REQUIRE_FALSE(policy.is_done());
  }
  SECTION("max_line does not apply: plain echo has no lines") {
    const reply_config small = make_config(reply_mode::echo, false, 4);
    reply_policy policy(small);
    const std::string long_line(100, 'x');
    REQUIRE(policy.feed(long_line + "\n") == long_line + "\n");
    REQUIRE(policy.feed(long_line) == long_line);
    REQUIRE_FALSE(policy.is_done());
    REQUIRE(policy.reason() == done_reason::none);
  }
  SECTION("split anywhere, the concatenated replies are the input") {
    const std::string input = "ab\r\n\0cd\n"s + all_byte_values();
    for (const auto& chunks : all_chunkings(input)) {
      INFO("chunks " << describe(chunks));
      REQUIRE(converse(config, chunks) == input);
    }
  }
}

TEST_CASE("reply_policy prefix: each line behind the prefix with its own ending",
          "[reply_policy]") {
  const reply_config config = make_config(reply_mode::prefix);

  SECTION("LF and CRLF lines") {
    reply_policy policy(config);
    REQUIRE(policy.feed("hello\n") == "Echo: hello\n");
    REQUIRE(policy.feed("hello\r\n") == "Echo: hello\r\n");
    REQUIRE(policy.feed("\n") == "Echo: \n");
    REQUIRE(policy.feed("a\nb\r\n") == "Echo: a\nEcho: b\r\n");
    REQUIRE_FALSE(policy.is_done());
  }
  SECTION("an unterminated message waits, then flush_partial answers it without a newline") {
    reply_policy policy(config);
    REQUIRE(policy.feed("hello").empty());
    REQUIRE(policy.has_partial());
    REQUIRE(policy.flush_partial() == "Echo: hello");
    REQUIRE_FALSE(policy.has_partial());
    REQUIRE(policy.flush_partial().empty());
  }
  SECTION("flush_partial returns only the held message's reply, not feed's again") {
    reply_policy policy(config);
    REQUIRE(policy.feed("a\nb") == "Echo: a\n");
    REQUIRE(policy.flush_partial() == "Echo: b");
    REQUIRE(policy.flush_partial().empty());
  }
  SECTION("at EOF, flush_partial answers a message that arrived in pieces as one") {
    reply_policy policy(config);
    REQUIRE(policy.feed("hel").empty());
    REQUIRE(policy.feed("lo").empty());
    REQUIRE(policy.flush_partial() == "Echo: hello");
    REQUIRE_FALSE(policy.has_partial());
    REQUIRE(policy.flush_partial().empty());
  }
  SECTION("embedded NULs are content") {
    reply_policy policy(config);
    REQUIRE(policy.feed("a\0b\n"s) == "Echo: a\0b\n"s);
  }
  SECTION("custom prefix") {
    reply_config custom = config;
    custom.prefix = ">> ";
    reply_policy policy(custom);
    REQUIRE(policy.feed("hi\r\n") == ">> hi\r\n");
    REQUIRE(policy.flush_partial().empty());
  }
}

TEST_CASE("reply_policy ack: one acknowledgement per line", "[reply_policy]") {
  const reply_config config = make_config(reply_mode::ack);

  SECTION("each line gets ACK! with the line's own ending") {
    reply_policy policy(config);
    REQUIRE(policy.feed("one\ntwo\r\n\n") == "ACK!\nACK!\r\nACK!\n");
  }
  SECTION("an unterminated message gets a bare ACK!") {
    reply_policy policy(config);
    REQUIRE(policy.feed("hello").empty());
    REQUIRE(policy.flush_partial() == "ACK!");
  }
  SECTION("custom ack text") {
    reply_config custom = config;
    custom.ack = "OK";
    reply_policy policy(custom);
    REQUIRE(policy.feed("x\ny") == "OK\n");
    REQUIRE(policy.flush_partial() == "OK");
  }
}

TEST_CASE("reply_policy --once: the first reply and then done in every mode", "[reply_policy]") {
  struct once_case {
    reply_mode mode;
    std::string first_reply;
  };
  const std::vector<once_case> cases = {
      {reply_mode::echo, "first\n"},
      {reply_mode::prefix, "Echo: first\n"},
      {reply_mode::ack, "ACK!\n"},
  };
  for (const auto& c : cases) {
    const reply_config config = make_config(c.mode, true);
    DYNAMIC_SECTION("mode " << echo::to_string(c.mode)) {
      reply_policy policy(config);
      REQUIRE_FALSE(policy.is_done());
      REQUIRE(policy.feed("fir").empty());
      REQUIRE(policy.feed("st\nsecond\nthi") == c.first_reply);
      REQUIRE(policy.is_done());
      REQUIRE(policy.reason() == done_reason::once);
      REQUIRE(policy.feed("more\n").empty());
      REQUIRE(policy.flush_partial().empty());
      REQUIRE(policy.flush_partial().empty());
    }
  }

  SECTION("echo + once answers an unterminated first message exactly") {
    const reply_config config = make_config(reply_mode::echo, true);
    reply_policy policy(config);
    REQUIRE(policy.feed("hel").empty());  // framed, unlike plain echo: it waits for the line
    REQUIRE(policy.has_partial());
    REQUIRE(policy.flush_partial() == "hel");
    REQUIRE(policy.reason() == done_reason::once);
    REQUIRE(policy.feed("lo\n").empty());
  }
  SECTION("echo + once keeps a CRLF ending") {
    const reply_config config = make_config(reply_mode::echo, true);
    reply_policy policy(config);
    REQUIRE(policy.feed("hi\r\nthere\r\n") == "hi\r\n");
  }
  SECTION("once at EOF: flush_partial answers the held message and is done") {
    const reply_config config = make_config(reply_mode::prefix, true);
    reply_policy policy(config);
    REQUIRE(policy.feed("last").empty());
    REQUIRE(policy.flush_partial() == "Echo: last");
    REQUIRE(policy.reason() == done_reason::once);
  }
}

TEST_CASE("reply_policy: an over-long line gets the error line and closes", "[reply_policy]") {
  constexpr std::size_t max_line = 5;
  const std::string error_line = reply_policy::too_long_reply(max_line);

  struct long_case {
    reply_mode mode;
    bool once;
    std::string input;
    std::string expected;
  };
  const std::vector<long_case> cases = {
      {reply_mode::prefix, false, "ok\ntoolong\nafter\n", "Echo: ok\n" + error_line},
      {reply_mode::prefix, false, "12345\n123456\n", "Echo: 12345\n" + error_line},
      {reply_mode::prefix, false, "ok\n123456", "Echo: ok\n" + error_line},  // still partial
      {reply_mode::ack, false, "a\r\nb\nxxxxxxxxxx", "ACK!\r\nACK!\n" + error_line},
      {reply_mode::echo, true, "toolong\n", error_line},
  };
  for (const auto& c : cases) {
    const reply_config config = make_config(c.mode, c.once, max_line);
    DYNAMIC_SECTION(echo::to_string(c.mode)
                    << (c.once ? "+once" : "") << " input \"" << printable(c.input) << '"') {
      reply_policy policy(config);
      const std::string out(policy.feed(c.input));
      REQUIRE(out == c.expected);
      REQUIRE(policy.is_done());
      REQUIRE(policy.reason() == done_reason::line_too_long);
      REQUIRE(policy.feed("more\n").empty());
      REQUIRE(policy.flush_partial().empty());
    }
  }
}

TEST_CASE("reply_policy: max_line counts a line's content, not its CRLF", "[reply_policy]") {
  constexpr std::size_t max_line = 10;
  const reply_config config = make_config(reply_mode::prefix, false, max_line);
  SECTION("a CRLF line of exactly max_line is answered") {
    reply_policy policy(config);
    REQUIRE(policy.feed("0123456789\r\n") == "Echo: 0123456789\r\n");
    REQUIRE_FALSE(policy.is_done());
  }
  SECTION("max_line bytes and a CR wait for the LF that makes the CR an ending") {
    reply_policy policy(config);
    REQUIRE(policy.feed("0123456789\r").empty());
    REQUIRE(policy.feed("\n") == "Echo: 0123456789\r\n");
    REQUIRE_FALSE(policy.is_done());
  }
  SECTION("max_line bytes and a CR with no LF: the CR is content, one byte too many") {
    reply_policy policy(config);
    REQUIRE(policy.feed("0123456789\r").empty());
    REQUIRE(policy.flush_partial() == reply_policy::too_long_reply(max_line));
    REQUIRE(policy.reason() == done_reason::line_too_long);
    REQUIRE(policy.flush_partial().empty());
  }
}

namespace {

// The replies to `input` fed at once, in the pieces the policy hands out, checking that each
// piece is at most reply_piece bytes and one message's reply more.
std::string replies_in_pieces(const reply_config& config, std::string_view input,
                              std::size_t largest_reply, std::size_t* pieces = nullptr) {
  reply_policy policy(config);
  std::string out(policy.feed(input));
  std::size_t count = 1;
  REQUIRE(out.size() <= echo::reply_piece + largest_reply);
  while (policy.has_unanswered()) {
    const std::string_view piece = policy.answer_more();
    REQUIRE(piece.size() <= echo::reply_piece + largest_reply);
    out += piece;
    ++count;
  }
  out += policy.flush_partial();
  if (pieces != nullptr) *pieces = count;
  return out;
}

std::string repeated(std::string_view text, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

}  // namespace

TEST_CASE("reply_policy: the replies to one read come in bounded pieces", "[reply_policy]") {
  constexpr std::size_t newlines = 64 * 1024;
  const std::string burst(newlines, '\n');

  SECTION("prefix: 64 Ki empty lines") {
    const reply_config config = make_config(reply_mode::prefix);
    std::size_t pieces = 0;
    const std::string out = replies_in_pieces(config, burst, 7, &pieces);
    REQUIRE(out == repeated("Echo: \n", newlines));
    REQUIRE(pieces >= out.size() / (echo::reply_piece + 7));
  }
  SECTION("ack of the longest text allowed: a megabyte per 1,024 newlines, never at once") {
    reply_config config = make_config(reply_mode::ack);
    config.ack = std::string(echo::max_reply_text, 'A');
    const std::string out = replies_in_pieces(config, burst, echo::max_reply_text + 1);
    REQUIRE(out.size() == newlines * (echo::max_reply_text + 1));
    REQUIRE(out == repeated(config.ack + "\n", newlines));
  }
  SECTION("a long line's reply is one piece, however long") {
    const reply_config config = make_config(reply_mode::prefix);
    const std::string line(echo::default_max_line, 'x');
    const std::string input = "a\n" + line + "\nb\n" + line + "\n";
    const std::string out = replies_in_pieces(config, input, 6 + line.size() + 1);
    REQUIRE(out == "Echo: a\nEcho: " + line + "\nEcho: b\nEcho: " + line + "\n");
  }
  SECTION("the unanswered rest may end in an unfinished line, answered at EOF") {
    const reply_config config = make_config(reply_mode::ack);
    const std::string out = replies_in_pieces(config, burst + "tail", 5);
    REQUIRE(out == repeated("ACK!\n", newlines) + "ACK!");
  }
  SECTION("an over-long line far into the read: the pieces before it, then the error line") {
    const reply_config config = make_config(reply_mode::prefix, false, 8);
    const std::string out = replies_in_pieces(config, burst + "123456789\nafter\n", 7);
    REQUIRE(out == repeated("Echo: \n", newlines) + reply_policy::too_long_reply(8));
  }
  SECTION("once: one reply, and nothing of the rest is kept") {
    const reply_config config = make_config(reply_mode::prefix, true);
    reply_policy policy(config);
    REQUIRE(policy.feed(burst) == "Echo: \n");
    REQUIRE_FALSE(policy.has_unanswered());
    REQUIRE(policy.is_done());
  }
  SECTION("feed while input is still unanswered keeps the order") {
    const reply_config config = make_config(reply_mode::ack);
    reply_policy policy(config);
    std::string out(policy.feed(burst));
    REQUIRE(policy.has_unanswered());
    out += policy.feed("x\n");
    while (policy.has_unanswered()) out += policy.answer_more();
    REQUIRE(out == repeated("ACK!\n", newlines) + "ACK!\n");
  }
  SECTION("plain echo is never cut") {
    const reply_config config = make_config(reply_mode::echo);
    reply_policy policy(config);
    REQUIRE(policy.feed(burst).size() == burst.size());
    REQUIRE_FALSE(policy.has_unanswered());
  }
}

TEST_CASE("reply_policy: once the replies are written, an idle policy holds little memory",
          "[reply_policy]") {
  const reply_config config = make_config(reply_mode::prefix);
  reply_policy policy(config);
  REQUIRE(policy.feed(std::string(64 * 1024, '\n')).size() >= echo::reply_piece);
  while (policy.has_unanswered()) policy.answer_more();
  REQUIRE(policy.feed(std::string(60000, 'x')).empty());  // a long unfinished line, then its end
  REQUIRE(policy.feed("\n").size() == 6 + 60000 + 1);
  REQUIRE(policy.memory_held() > echo::reply_piece);
  policy.release_memory();
  // Three small buffers at most: replies, an unfinished line, unanswered input.
  REQUIRE(policy.memory_held() <= 3 * 256);
  // Short lines after that allocate again only what they need.
  REQUIRE(policy.feed("hello\n") == "Echo: hello\n");
  policy.release_memory();
  REQUIRE(policy.memory_held() <= 3 * 256);
}

TEST_CASE("reply_policy: the observer sees each message", "[reply_policy]") {
  std::vector<std::string> seen;
  const auto observe = [&](std::string_view message) { seen.emplace_back(message); };

  SECTION("line modes: each line's content, then the flushed partial") {
    const reply_config config = make_config(reply_mode::prefix);
    reply_policy policy(config, observe);
    policy.feed("one\r\ntw");
    policy.feed("o\n\nthree");
    policy.flush_partial();
    REQUIRE(seen == std::vector<std::string>{"one", "two", "", "three"});
  }
  SECTION("plain echo: each chunk as a whole") {
    const reply_config config = make_config(reply_mode::echo);
    reply_policy policy(config, observe);
    policy.feed("ab\ncd");
    policy.feed("\0e"s);
    REQUIRE(seen == std::vector<std::string>{"ab\ncd", "\0e"s});
  }
  SECTION("once: only the first message, nothing after") {
    const reply_config config = make_config(reply_mode::ack, true);
    reply_policy policy(config, observe);
    policy.feed("first\nsecond\n");
    policy.feed("third\n");
    policy.flush_partial();
    REQUIRE(seen == std::vector<std::string>{"first"});
  }
  SECTION("no observer is fine") {
    const reply_config config = make_config(reply_mode::prefix);
    reply_policy policy(config);
    REQUIRE(policy.feed("x\n") == "Echo: x\n");
  }
}

TEST_CASE("reply_policy: line modes give the same reply however the input is split",
          "[reply_policy]") {
  struct mode_case {
    const char* name;
    reply_config config;
  };
  reply_config custom = make_config(reply_mode::prefix);
  custom.prefix = "<";
  const std::vector<mode_case> modes = {
      {"prefix", make_config(reply_mode::prefix)},
      {"ack", make_config(reply_mode::ack)},
      {"custom prefix", custom},
      {"echo+once", make_config(reply_mode::echo, true)},
      {"prefix+once", make_config(reply_mode::prefix, true)},
      {"ack+once", make_config(reply_mode::ack, true)},
      {"prefix, max_line 4", make_config(reply_mode::prefix, false, 4)},
      {"ack, max_line 4", make_config(reply_mode::ack, false, 4)},
  };
  const std::vector<std::string> inputs = {
      "hello\n",         "one\r\ntwo\n\nthree",  "\r\n\r\n",
      "a\rb\nc\0d\n\0"s, "abcd\nabcde\nafter\n", "ab\r\nabcd\r\n",
  };
  for (const auto& m : modes) {
    for (const auto& input : inputs) {
      DYNAMIC_SECTION(m.name << ": \"" << printable(input) << '"') {
        done_reason whole_reason = done_reason::none;
        const std::string whole = converse(m.config, {input}, &whole_reason);
        for (const auto& chunks : all_chunkings(input)) {
          INFO("chunks " << describe(chunks));
          done_reason reason = done_reason::none;
          REQUIRE(printable(converse(m.config, chunks, &reason)) == printable(whole));
          REQUIRE(reason == whole_reason);
        }
      }
    }
  }
}

TEST_CASE("reply_policy: whole-input replies for the splitting table are what users see",
          "[reply_policy]") {
  // Pins a few of the invariance inputs above to exact bytes, so "same output for every split"
  // cannot pass by everything being equally wrong.
  const reply_config prefix = make_config(reply_mode::prefix);
  REQUIRE(converse(prefix, {"one\r\ntwo\n\nthree"}) ==
          "Echo: one\r\nEcho: two\nEcho: \nEcho: three");
  const reply_config ack4 = make_config(reply_mode::ack, false, 4);
  done_reason reason = done_reason::none;
  REQUIRE(converse(ack4, {"abcd\nabcde\nafter\n"}, &reason) ==
          "ACK!\n" + reply_policy::too_long_reply(4));
  REQUIRE(reason == done_reason::line_too_long);
  const reply_config echo_once = make_config(reply_mode::echo, true);
  REQUIRE(converse(echo_once, {"a\rb\nc\0d\n\0"s}, &reason) == "a\rb\n");
  REQUIRE(reason == done_reason::once);
}
