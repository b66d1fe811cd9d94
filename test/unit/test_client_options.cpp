// client_options: echo-client's command line. Defaults, how the mode is chosen (flags, and
// whether stdin is a terminal), -m order, --timeout, flags vs positional HOST PORT, and the exact
// one-line wording and exit code of every usage error.

#include "client/client_options.hpp"

#include "common/version.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace {

using echo::client_mode;
using echo::client_options;
using echo::early_exit;
using echo::exit_code;
using std::chrono::milliseconds;

using parse_result = std::variant<client_options, early_exit>;
using arg_list = std::vector<const char*>;

// Runs the parser on "echo-client ARGS...", with a null-terminated argv like a real one.
parse_result parse(const arg_list& args, bool stdin_is_terminal = false) {
  arg_list argv = {"echo-client"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(nullptr);
  return echo::parse_client_options(static_cast<int>(argv.size() - 1), argv.data(),
                                    stdin_is_terminal);
}

// The options, failing the test (with the printed error) when parsing did not succeed.
client_options options_from(const arg_list& args, bool stdin_is_terminal = false) {
  const parse_result result = parse(args, stdin_is_terminal);
  if (const auto* exit = std::get_if<early_exit>(&result)) FAIL("early exit: " << exit->text);
  return std::get<client_options>(result);
}

// The early exit, failing the test when parsing succeeded instead.
early_exit exit_from(const arg_list& args, bool stdin_is_terminal = false) {
  const parse_result result = parse(args, stdin_is_terminal);
  if (std::holds_alternative<client_options>(result)) FAIL("parsed, expected an early exit");
  return std::get<early_exit>(result);
}

// "echo-client -p 80 ''" for section names and failure messages.
std::string command_line(const arg_list& args) {
  std::string line = "echo-client";
  for (const char* arg : args) line += *arg == '\0' ? std::string(" ''") : std::string(" ") + arg;
  return line;
}

std::string usage_line(const std::string& what) {
  return "echo-client: " + what + " (try 'echo-client --help')\n";
}

std::string invalid_port(const std::string& text) {
  return usage_line("invalid port '" + text + "': expected a number from 0 to 65535");
}

std::string invalid_timeout(const std::string& text) {
  return usage_line("invalid --timeout '" + text +
                    "': expected a number of seconds above 0 (at most 86400)");
}

}  // namespace

TEST_CASE("client_options: defaults", "[client_options]") {
  const client_options o = options_from({});
  CHECK(o.host == "127.0.0.1");
  CHECK(o.port == 8888);
  CHECK(o.mode == client_mode::pipe);
  CHECK(o.messages.empty());
  CHECK(o.timeout == milliseconds(10'000));
  CHECK(o.is_shutdown_after_input);
  CHECK_FALSE(o.is_verbose);
}

TEST_CASE("client_options: the mode follows from the flags, then from stdin", "[client_options]") {
  struct mode_case {
    arg_list args;
    bool stdin_is_terminal;
    client_mode mode;
  };
  const std::vector<mode_case> cases = {
      {{}, false, client_mode::pipe},
      {{}, true, client_mode::interactive},
      {{"-m", "hi"}, false, client_mode::one_shot},
      {{"-m", "hi"}, true, client_mode::one_shot},
      {{"--message", "hi"}, true, client_mode::one_shot},
      {{"--test"}, false, client_mode::self_test},
      {{"--test"}, true, client_mode::self_test},
      {{"--no-shutdown"}, false, client_mode::pipe},
      {{"-v", "9000"}, true, client_mode::interactive},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(command_line(c.args) << (c.stdin_is_terminal ? " (tty)" : " (not a tty)")) {
      CHECK(options_from(c.args, c.stdin_is_terminal).mode == c.mode);
    }
  }
}

TEST_CASE("client_options: repeated -m keeps every message in order", "[client_options]") {
  const client_options o =
      options_from({"-m", "first", "--message", "second", "-m", "", "--message=fourth", "-m5"});
  CHECK(o.mode == client_mode::one_shot);
  CHECK(o.messages == std::vector<std::string>{"first", "second", "", "fourth", "5"});
}

TEST_CASE("client_options: a message is taken as it is", "[client_options]") {
  // Spaces, UTF-8, a leading dash (attached with =) and a message that looks like a port all stay
  // text.
  CHECK(options_from({"-m", "hello world"}).messages == std::vector<std::string>{"hello world"});
  CHECK(options_from({"--message=-p 80"}).messages == std::vector<std::string>{"-p 80"});
  CHECK(options_from({"-m", "h\xc3\xa9llo"}).messages == std::vector<std::string>{"h\xc3\xa9llo"});
  const client_options o = options_from({"-m", "9999"});
  CHECK(o.messages == std::vector<std::string>{"9999"});
  CHECK(o.port == 8888);
}

TEST_CASE("client_options: --timeout in seconds, decimals allowed", "[client_options]") {
  struct timeout_case {
    arg_list args;
    milliseconds timeout;
  };
  const std::vector<timeout_case> cases = {
      {{}, milliseconds(10'000)},
      {{"--timeout", "10"}, milliseconds(10'000)},
      {{"--timeout", "0.5"}, milliseconds(500)},
      {{"--timeout=0.5"}, milliseconds(500)},
      {{"--timeout", "1"}, milliseconds(1'000)},
      {{"--timeout", "2.25"}, milliseconds(2'250)},
      {{"--timeout", "60"}, milliseconds(60'000)},
      {{"--timeout", "0.001"}, milliseconds(1)},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(command_line(c.args)) { CHECK(options_from(c.args).timeout == c.timeout); }
  }
  SECTION("a tiny positive timeout is still positive") {
    CHECK(options_from({"--timeout", "0.0001"}).timeout > milliseconds(0));
  }
}

TEST_CASE("client_options: --no-shutdown and --verbose", "[client_options]") {
  CHECK_FALSE(options_from({"--no-shutdown"}).is_shutdown_after_input);
  CHECK(options_from({"-v"}).is_verbose);
  CHECK(options_from({"--verbose"}).is_verbose);
  const client_options o = options_from({"--no-shutdown", "-v", "-m", "x"});
  CHECK_FALSE(o.is_shutdown_after_input);
  CHECK(o.is_verbose);
}

TEST_CASE("client_options: host and port from flags or positionals", "[client_options]") {
  struct where_case {
    arg_list args;
    std::string host;
    std::uint16_t port;
  };
  const std::vector<where_case> cases = {
      {{"-H", "192.0.2.7"}, "192.0.2.7", 8888},
      {{"--host", "localhost"}, "localhost", 8888},
      {{"--host=::1"}, "::1", 8888},
      {{"-p", "9999"}, "127.0.0.1", 9999},
      {{"--port", "0"}, "127.0.0.1", 0},
      {{"--port=65535"}, "127.0.0.1", 65535},
      {{"-H", "::1", "-p", "1234"}, "::1", 1234},
      {{"192.0.2.7", "9999"}, "192.0.2.7", 9999},
      {{"9999"}, "127.0.0.1", 9999},  // a lone all-digit positional is a port
      {{"localhost"}, "localhost", 8888},
      {{"::1"}, "::1", 8888},
      {{"::1", "7000"}, "::1", 7000},
      {{"-H", "::1", "7000"}, "::1", 7000},              // flag host, positional port
      {{"-p", "7000", "localhost"}, "localhost", 7000},  // flag port, positional host
      {{"-m", "hi", "localhost", "7000"}, "localhost", 7000},
      {{"localhost", "7000", "-m", "hi"}, "localhost", 7000},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(command_line(c.args)) {
      const client_options o = options_from(c.args);
      CHECK(o.host == c.host);
      CHECK(o.port == c.port);
    }
  }
}

TEST_CASE("client_options: --help and --version exit 0 with their text", "[client_options]") {
  SECTION("--help") {
    for (const char* flag : {"--help", "-h"}) {
      INFO(flag);
      const early_exit e = exit_from({flag});
      CHECK(e.code == exit_code::ok);
      CHECK_THAT(e.text, Catch::StartsWith("Usage: echo-client [options] [HOST [PORT]]\n"));
      CHECK_THAT(e.text, Catch::Contains("--message") && Catch::Contains("--test") &&
                             Catch::Contains("--timeout") && Catch::Contains("--no-shutdown") &&
                             Catch::Contains("Exit codes"));
    }
  }
  SECTION("--version") {
    const early_exit e = exit_from({"--version"});
    CHECK(e.code == exit_code::ok);
    CHECK(e.text == std::string("echo-client ") + echo::version + "\n");
    CHECK(e.text == "echo-client 0.1.0\n");
  }
  SECTION("--help wins over an error elsewhere on the line") {
    const early_exit e = exit_from({"--port", "70000", "--bogus", "--help"});
    CHECK(e.code == exit_code::ok);
    CHECK_THAT(e.text, Catch::StartsWith("Usage: echo-client"));
  }
}

TEST_CASE("client_options: usage errors have exact one-line wording and exit code 2",
          "[client_options]") {
  struct error_case {
    arg_list args;
    std::string text;
  };
  const std::vector<error_case> cases = {
      {{"-p", "70000"},
       "echo-client: invalid port '70000': expected a number from 0 to 65535 (try 'echo-client "
       "--help')\n"},
      {{"--port", "70000"}, invalid_port("70000")},
      {{"--port", "abc"}, invalid_port("abc")},
      {{"--port", "-1"}, invalid_port("-1")},
      {{"--port", ""}, invalid_port("")},
      {{"--port", "80 "}, invalid_port("80 ")},
      {{"127.0.0.1", "70000"}, invalid_port("70000")},
      {{"99999"}, invalid_port("99999")},
      {{"localhost", "http"}, invalid_port("http")},
      {{"--bogus"}, usage_line("unrecognised option '--bogus'")},
      {{"-x"}, usage_line("unrecognised option '-x'")},
      {{"--timeout", "0"}, invalid_timeout("0")},
      {{"--timeout", "0.0"}, invalid_timeout("0.0")},
      {{"--timeout", "-1"}, invalid_timeout("-1")},
      {{"--timeout", "abc"}, invalid_timeout("abc")},
      {{"--timeout", ""}, invalid_timeout("")},
      {{"--timeout", "1s"}, invalid_timeout("1s")},
      {{"--timeout", "inf"}, invalid_timeout("inf")},
      {{"--timeout", "nan"}, invalid_timeout("nan")},
      {{"-m", "x", "--test"}, usage_line("--message and --test cannot be used together")},
      {{"--test", "--message", "x"}, usage_line("--message and --test cannot be used together")},
      {{"a", "b", "c"}, usage_line("too many arguments: expected at most HOST and PORT, got 'c'")},
      {{"-H", "::1", "::1", "80"}, usage_line("host given twice: as --host and as an argument")},
      {{"-p", "80", "90"}, usage_line("port given twice: as --port and as an argument")},
      {{"-p", "1", "-p", "2"}, usage_line("option '--port' cannot be specified more than once")},
      {{"--host", ""}, usage_line("invalid host '': empty host")},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(command_line(c.args)) {
      const early_exit e = exit_from(c.args);
      CHECK(e.code == exit_code::usage);
      CHECK(e.text == c.text);
      // One line: a script can show it as it is, and it ends in exactly one newline.
      CHECK(std::count(e.text.begin(), e.text.end(), '\n') == 1);
      CHECK_THAT(e.text, Catch::EndsWith("\n"));
    }
  }
}

TEST_CASE("client_options: a missing flag value is a usage error", "[client_options]") {
  for (const char* flag : {"--port", "-p", "--host", "-H", "-m", "--message", "--timeout"}) {
    INFO(flag);
    const early_exit e = exit_from({flag});
    CHECK(e.code == exit_code::usage);
    CHECK_THAT(e.text, Catch::StartsWith("echo-client: ") &&
                           Catch::EndsWith(" (try 'echo-client --help')\n"));
    CHECK(std::count(e.text.begin(), e.text.end(), '\n') == 1);
  }
}

// A value holding a newline or another control byte is escaped, so the error stays one line.
TEST_CASE("client_options: a usage error stays one line whatever the value holds",
          "[client_options]") {
  for (const arg_list& args : {arg_list{"--port", "80\nx"}, arg_list{"--timeout", "1\n2"},
                               arg_list{"--bogus\nx"}, arg_list{"--port", "\x1b[31m"}}) {
    INFO(command_line(args));
    const early_exit e = exit_from(args);
    CHECK(e.code == exit_code::usage);
    CHECK(std::count(e.text.begin(), e.text.end(), '\n') == 1);
    CHECK(e.text.find('\x1b') == std::string::npos);
  }
}

// `echo-client 127.0.0.1 "$PORT"` with PORT unset must not quietly connect to 8888.
TEST_CASE("client_options: an empty positional PORT or HOST is an error", "[client_options]") {
  for (const arg_list& args : {arg_list{"127.0.0.1", ""}, arg_list{"", "9000"}}) {
    INFO(command_line(args));
    const early_exit e = exit_from(args);
    CHECK(e.code == exit_code::usage);
    CHECK(std::count(e.text.begin(), e.text.end(), '\n') == 1);
  }
}

// The host is resolved when connecting, not when parsing: a name that does not resolve is a
// runtime failure (exit 4), not a usage error.
TEST_CASE("client_options: host names are kept as typed, not resolved", "[client_options]") {
  CHECK(options_from({"-H", "nope.invalid"}).host == "nope.invalid");
  CHECK(options_from({"[::1]"}).host == "[::1]");
}

// Every message in flight is held whole, so a load that cannot fit is refused before it starts,
// naming the flags that multiply (it used to die of bad_alloc, or take gigabytes).
TEST_CASE("client_options: --bench refuses more than 1 GiB in flight", "[client_options]") {
  struct error_case {
    arg_list args;
    std::string text;
  };
  const std::vector<error_case> cases = {
      {{"--bench", "--size", "16777216", "--depth", "1024"},
       usage_line("--size 16777216 x --depth 1024 x --connections 1 is 17179869184 bytes in "
                  "flight, over the bench's limit of 1 GiB")},
      {{"--bench", "--size", "65536", "--connections", "20000"},
       usage_line("--size 65536 x --depth 1 x --connections 20000 is 1310720000 bytes in flight, "
                  "over the bench's limit of 1 GiB")},
      {{"--bench", "--size", "16777216", "--depth", "1024", "--connections", "100000"},
       usage_line("--size 16777216 x --depth 1024 x --connections 100000 is 1717986918400000 "
                  "bytes in flight, over the bench's limit of 1 GiB")},
      // Open loop and churn hold at least one message per connection; --depth does not apply.
      {{"--bench", "--rate", "10", "--size", "16777216", "--connections", "100"},
       usage_line("--size 16777216 x --connections 100 is 1677721600 bytes in flight, over the "
                  "bench's limit of 1 GiB")},
      {{"--bench", "--churn", "--size", "1048576", "--connections", "2000"},
       usage_line("--size 1048576 x --connections 2000 is 2097152000 bytes in flight, over the "
                  "bench's limit of 1 GiB")},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(command_line(c.args)) {
      const early_exit e = exit_from(c.args);
      CHECK(e.code == exit_code::usage);
      CHECK(e.text == c.text);
    }
  }
  SECTION("up to 1 GiB is accepted") {
    for (const arg_list& args :
         {arg_list{"--bench", "--size", "16777216", "--depth", "64"},
          arg_list{"--bench", "--size", "16384", "--depth", "64", "--connections", "1024"},
          arg_list{"--bench", "--rate", "1", "--connections", "100000"},
          arg_list{"--bench", "--rate", "10", "--size", "16777216", "--connections", "64",
                   "--depth", "1024"}}) {
      INFO(command_line(args));
      CHECK(options_from(args).mode == client_mode::bench);
    }
  }
}

// --threads shares --connections among reactors, so each needs one; --json-stream and --threads
// mean nothing outside --bench.
TEST_CASE("client_options: --threads and --json-stream", "[client_options]") {
  const client_options plain = options_from({"--bench"});
  CHECK(plain.bench.threads == 1);
  CHECK_FALSE(plain.bench.is_json_stream);
  const client_options o =
      options_from({"--bench", "--threads", "4", "--connections", "10", "--json-stream"});
  CHECK(o.bench.threads == 4);
  CHECK(o.bench.connections == 10);
  CHECK(o.bench.is_json_stream);
  CHECK(options_from({"--bench", "--threads", "256", "--connections", "256"}).bench.threads == 256);

  struct error_case {
    arg_list args;
    std::string text;
  };
  const std::vector<error_case> cases = {
      {{"--bench", "--threads", "2"},
       usage_line("--threads 2 is more than --connections 1: each thread needs a connection")},
      {{"--bench", "--threads", "8", "--connections", "5"},
       usage_line("--threads 8 is more than --connections 5: each thread needs a connection")},
      {{"--bench", "--threads", "0"},
       usage_line("invalid --threads '0': expected a number from 1 to 256")},
      {{"--bench", "--threads", "257", "--connections", "1000"},
       usage_line("invalid --threads '257': expected a number from 1 to 256")},
      {{"--threads", "2"}, usage_line("--threads needs --bench")},
      {{"--json-stream"}, usage_line("--json-stream needs --bench")},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(command_line(c.args)) {
      const early_exit e = exit_from(c.args);
      CHECK(e.code == exit_code::usage);
      CHECK(e.text == c.text);
    }
  }
}
