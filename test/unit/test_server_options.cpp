// server_options: echo-server's command line, ECHO_SERVER_* variables and --config file. Defaults,
// flags vs positional HOST PORT, precedence, --print-config, and the exact one-line wording and
// exit code of every usage error.

#include "server/server_options.hpp"

#include "common/escape.hpp"
#include "common/version.hpp"
#include "server/config_layers.hpp"

#include <boost/asio/ip/address.hpp>

#include "scratch.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <variant>
#include <vector>

namespace {

namespace ip = boost::asio::ip;
using echo::early_exit;
using echo::exit_code;
using echo::log_level;
using echo::reply_mode;
using echo::server_options;

using parse_result = std::variant<server_options, early_exit>;
using arg_list = std::vector<const char*>;

// Runs the parser on "echo-server ARGS...", with a null-terminated argv like a real one.
parse_result parse(const arg_list& args) {
  arg_list argv = {"echo-server"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(nullptr);
  return echo::parse_server_options(static_cast<int>(argv.size() - 1), argv.data());
}

// The options, failing the test (with the printed error) when parsing did not succeed.
server_options options_from(const arg_list& args) {
  const parse_result result = parse(args);
  if (const auto* exit = std::get_if<early_exit>(&result)) FAIL("early exit: " << exit->text);
  return std::get<server_options>(result);
}

// The early exit, failing the test when parsing succeeded instead.
early_exit exit_from(const arg_list& args) {
  const parse_result result = parse(args);
  if (std::holds_alternative<server_options>(result)) FAIL("parsed, expected an early exit");
  return std::get<early_exit>(result);
}

// "echo-server -p 80 ''" for section names and failure messages.
std::string command_line(const arg_list& args) {
  std::string line = "echo-server";
  for (const char* arg : args) line += *arg == '\0' ? std::string(" ''") : std::string(" ") + arg;
  return line;
}

std::string usage_line(const std::string& what) {
  return "echo-server: " + what + " (try 'echo-server --help')\n";
}

}  // namespace

TEST_CASE("server_options: defaults", "[server_options]") {
  const server_options o = options_from({});
  REQUIRE(o.host == "127.0.0.1");
  REQUIRE(o.address == ip::make_address("127.0.0.1"));
  REQUIRE(o.port == 8888);
  REQUIRE(o.reply.mode == reply_mode::echo);
  REQUIRE(o.reply.prefix == "Echo: ");
  REQUIRE(o.reply.ack == "ACK!");
  REQUIRE_FALSE(o.reply.once);
  REQUIRE(o.reply.max_line == 65536);
  REQUIRE(o.reply.max_line == echo::default_max_line);
  REQUIRE(o.message_wait == std::chrono::milliseconds(50));
  REQUIRE(o.verbosity == log_level::info);
}

TEST_CASE("server_options: host and port from flags or positionals", "[server_options]") {
  struct where_case {
    arg_list args;
    std::string host;
    std::string address;
    std::uint16_t port;
  };
  const std::vector<where_case> cases = {
      {{"-H", "0.0.0.0"}, "0.0.0.0", "0.0.0.0", 8888},
      {{"--host", "0.0.0.0"}, "0.0.0.0", "0.0.0.0", 8888},
      {{"--host=::"}, "::", "::", 8888},
      {{"-p", "9999"}, "127.0.0.1", "127.0.0.1", 9999},
      {{"--port", "0"}, "127.0.0.1", "127.0.0.1", 0},
      {{"--port=65535"}, "127.0.0.1", "127.0.0.1", 65535},
      {{"-H", "::1", "-p", "1234"}, "::1", "::1", 1234},
      {{"0.0.0.0", "9999"}, "0.0.0.0", "0.0.0.0", 9999},
      {{"9999"}, "127.0.0.1", "127.0.0.1", 9999},  // a lone all-digit positional is a port
      {{"0"}, "127.0.0.1", "127.0.0.1", 0},
      {{"::1"}, "::1", "::1", 8888},
      {{"[::1]"}, "[::1]", "::1", 8888},  // host kept as typed, address without brackets
      {{"[::1]", "7000"}, "[::1]", "::1", 7000},
      {{"-H", "[::1]"}, "[::1]", "::1", 8888},
      {{"-H", "::1", "7000"}, "::1", "::1", 7000},  // flag host, positional port
      {{"-p", "7000", "::1"}, "::1", "::1", 7000},  // flag port, positional host
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(command_line(c.args)) {
      const server_options o = options_from(c.args);
      REQUIRE(o.host == c.host);
      REQUIRE(o.address == ip::make_address(c.address));
      REQUIRE(o.port == c.port);
    }
  }
}

TEST_CASE("server_options: a host name is resolved", "[server_options]") {
  const server_options o = options_from({"--host", "localhost"});
  REQUIRE(o.host == "localhost");
  REQUIRE(o.address.is_loopback());
}

TEST_CASE("server_options: reply settings", "[server_options]") {
  REQUIRE(options_from({"--reply", "echo"}).reply.mode == reply_mode::echo);
  REQUIRE(options_from({"--reply", "prefix"}).reply.mode == reply_mode::prefix);
  REQUIRE(options_from({"--reply=ack"}).reply.mode == reply_mode::ack);
  REQUIRE(options_from({"--once"}).reply.once);
  REQUIRE(options_from({"--max-line", "1"}).reply.max_line == 1);
  REQUIRE(options_from({"--max-line", "1048576"}).reply.max_line == 1048576);

  const server_options custom =
      options_from({"--reply", "prefix", "--prefix", ">> ", "--ack", "OK", "--once"});
  REQUIRE(custom.reply.mode == reply_mode::prefix);
  REQUIRE(custom.reply.prefix == ">> ");
  REQUIRE(custom.reply.ack == "OK");
  REQUIRE(custom.reply.once);
  REQUIRE(custom.reply.max_line == 65536);
}

TEST_CASE("server_options: --prefix and --ack are at most 1024 bytes", "[server_options]") {
  const std::string longest(1024, 'x');
  const std::string too_long(1025, 'x');
  const std::string megabyte(1024 * 1024, 'x');
  REQUIRE(options_from({"--prefix", longest.c_str()}).reply.prefix == longest);
  REQUIRE(options_from({"--ack", longest.c_str()}).reply.ack == longest);
  REQUIRE(options_from({"--prefix", ""}).reply.prefix.empty());
  struct error_case {
    arg_list args;
    std::string text;
  };
  const std::vector<error_case> cases = {
      {{"--prefix", too_long.c_str()},
       usage_line("invalid --prefix: expected at most 1024 bytes, got 1025")},
      {{"--ack", too_long.c_str()},
       usage_line("invalid --ack: expected at most 1024 bytes, got 1025")},
      {{"--reply", "prefix", "--prefix", megabyte.c_str()},
       usage_line("invalid --prefix: expected at most 1024 bytes, got 1048576")},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.text) {
      const early_exit e = exit_from(c.args);
      REQUIRE(e.code == exit_code::usage);
      REQUIRE(e.text == c.text);
    }
  }
  SECTION("from a config file, the error names the file") {
    const echo::test::scratch_file file("ack = " + too_long + "\n");
    const early_exit e = exit_from({"--config", file.path().c_str()});
    REQUIRE(e.code == exit_code::usage);
    REQUIRE(e.text == usage_line("config file '" + file.path() +
                                 "': invalid --ack: expected at most 1024 bytes, got 1025"));
  }
}

TEST_CASE("server_options: --message-wait in milliseconds from 0 to 60000", "[server_options]") {
  using std::chrono::milliseconds;
  REQUIRE(options_from({"--message-wait", "0"}).message_wait == milliseconds(0));
  REQUIRE(options_from({"--message-wait", "250"}).message_wait == milliseconds(250));
  REQUIRE(options_from({"--message-wait=60000"}).message_wait == milliseconds(60000));
}

TEST_CASE("server_options: verbosity", "[server_options]") {
  REQUIRE(options_from({"-v"}).verbosity == log_level::debug);
  REQUIRE(options_from({"--verbose"}).verbosity == log_level::debug);
  REQUIRE(options_from({"-q"}).verbosity == log_level::warning);
  REQUIRE(options_from({"--quiet"}).verbosity == log_level::warning);
}

TEST_CASE("server_options: --help and --version exit 0 with their text", "[server_options]") {
  SECTION("--help") {
    for (const char* flag : {"--help", "-h"}) {
      const early_exit e = exit_from({flag});
      REQUIRE(e.code == exit_code::ok);
      REQUIRE(e.text.rfind("Usage: echo-server [options] [HOST [PORT]]\n", 0) == 0);
      REQUIRE_THAT(e.text, Catch::Contains("--port") && Catch::Contains("--reply") &&
                               Catch::Contains("--max-line") && Catch::Contains("Exit codes"));
    }
  }
  SECTION("--version") {
    const early_exit e = exit_from({"--version"});
    REQUIRE(e.code == exit_code::ok);
    REQUIRE(e.text == std::string("echo-server ") + echo::version + "\n");
  }
  SECTION("--help wins over an error elsewhere on the line") {
    const early_exit e = exit_from({"--port", "70000", "--bogus", "--help"});
    REQUIRE(e.code == exit_code::ok);
    REQUIRE_THAT(e.text, Catch::StartsWith("Usage: echo-server"));
  }
}

TEST_CASE("server_options: usage errors have exact one-line wording and exit code 2",
          "[server_options]") {
  struct error_case {
    arg_list args;
    std::string text;
  };
  const std::vector<error_case> cases = {
      {{"-p", "70000"},
       "echo-server: invalid port '70000': expected a number from 0 to 65535 (try 'echo-server "
       "--help')\n"},
      {{"--port", "abc"}, usage_line("invalid port 'abc': expected a number from 0 to 65535")},
      {{"--port", "-1"}, usage_line("invalid port '-1': expected a number from 0 to 65535")},
      {{"--port", ""}, usage_line("invalid port '': expected a number from 0 to 65535")},
      {{"127.0.0.1", "70000"},
       usage_line("invalid port '70000': expected a number from 0 to 65535")},
      {{"99999"}, usage_line("invalid port '99999': expected a number from 0 to 65535")},
      {{"--bogus"}, usage_line("unrecognised option '--bogus'")},
      {{"-x"}, usage_line("unrecognised option '-x'")},
      {{"--reply", "foo"}, usage_line("invalid --reply 'foo': expected echo, prefix or ack")},
      {{"--reply", "ECHO"}, usage_line("invalid --reply 'ECHO': expected echo, prefix or ack")},
      {{"--reply", ""}, usage_line("invalid --reply '': expected echo, prefix or ack")},
      {{"--max-line", "0"},
       usage_line("invalid --max-line '0': expected a number of bytes, at least 1")},
      {{"--max-line", "abc"},
       usage_line("invalid --max-line 'abc': expected a number of bytes, at least 1")},
      {{"--max-line", "-5"},
       usage_line("invalid --max-line '-5': expected a number of bytes, at least 1")},
      {{"--max-line", "99999999999999999999999"},
       usage_line(
           "invalid --max-line '99999999999999999999999': expected a number of bytes, at least 1")},
      {{"--message-wait", "60001"},
       usage_line("invalid --message-wait '60001': expected milliseconds from 0 to 60000")},
      {{"--message-wait", "1.5"},
       usage_line("invalid --message-wait '1.5': expected milliseconds from 0 to 60000")},
      {{"--message-wait", "999999"},
       usage_line("invalid --message-wait '999999': expected milliseconds from 0 to 60000")},
      {{"--message-wait", ""},
       usage_line("invalid --message-wait '': expected milliseconds from 0 to 60000")},
      {{"-v", "-q"}, usage_line("--verbose and --quiet cannot be used together")},
      {{"--log-format", "xml"}, usage_line("invalid --log-format 'xml': expected text or json")},
      {{"--log-format", "JSON"}, usage_line("invalid --log-format 'JSON': expected text or json")},
      {{"--log-format", ""}, usage_line("invalid --log-format '': expected text or json")},
      {{"--quiet", "--verbose"}, usage_line("--verbose and --quiet cannot be used together")},
      {{"a", "b", "c"}, usage_line("too many arguments: expected at most HOST and PORT, got 'c'")},
      {{"-H", "::1", "::1", "80"}, usage_line("host given twice: as --host and as an argument")},
      {{"-H", "::1", "localhost"}, usage_line("host given twice: as --host and as an argument")},
      {{"-p", "80", "90"}, usage_line("port given twice: as --port and as an argument")},
      {{"-p", "80", "::1", "90"}, usage_line("port given twice: as --port and as an argument")},
      {{"-p", "1", "-p", "2"}, usage_line("option '--port' cannot be specified more than once")},
      {{"--host", "999.1.1.1"},
       usage_line("invalid host '999.1.1.1': not an IP address and it does not resolve")},
      {{"::g", "80"}, usage_line("invalid host '::g': not an IP address and it does not resolve")},
      {{"nope.invalid"},
       usage_line("invalid host 'nope.invalid': not an IP address and it does not resolve")},
      {{"--host", ""}, usage_line("invalid host '': empty host")},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(command_line(c.args)) {
      const early_exit e = exit_from(c.args);
      REQUIRE(e.code == exit_code::usage);
      REQUIRE(e.text == c.text);
      // One line: a script can show it as it is, and it ends in exactly one newline.
      REQUIRE(std::count(e.text.begin(), e.text.end(), '\n') == 1);
      REQUIRE(e.text.back() == '\n');
    }
  }
}

TEST_CASE("server_options: a missing flag value is a usage error", "[server_options]") {
  for (const char* flag : {"--port", "-p", "--host", "--reply", "--max-line", "--message-wait"}) {
    INFO(flag);
    const early_exit e = exit_from({flag});
    REQUIRE(e.code == exit_code::usage);
    REQUIRE_THAT(e.text, Catch::StartsWith("echo-server: ") &&
                             Catch::EndsWith(" (try 'echo-server --help')\n"));
    REQUIRE(std::count(e.text.begin(), e.text.end(), '\n') == 1);
  }
}

// getaddrinfo alone would read these inet_aton shorthands as some other address ("1.2.3" becomes
// 1.2.0.3, "127.1" becomes 127.0.0.1); they are invalid hosts.
TEST_CASE("server_options: inet_aton shorthands are not valid hosts", "[server_options]") {
  for (const char* host : {"1.2.3", "127.1", "0x7f.1", "2130706433"}) {
    INFO(host);
    const parse_result result = parse({"--host", host});
    const auto* e = std::get_if<early_exit>(&result);
    CHECK(e != nullptr);
    if (e != nullptr) {
      CHECK(e->text == usage_line(std::string("invalid host '") + host +
                                  "': not an IP address and it does not resolve"));
    }
  }
}

// A value holding a newline is escaped, so the usage error stays one line.
TEST_CASE("server_options: a usage error stays one line whatever the value holds",
          "[server_options]") {
  for (const arg_list& args :
       {arg_list{"--port", "80\nx"}, arg_list{"--reply", "a\nb"}, arg_list{"--bogus\nx"}}) {
    INFO(command_line(args));
    const early_exit e = exit_from(args);
    CHECK(e.code == exit_code::usage);
    CHECK(std::count(e.text.begin(), e.text.end(), '\n') == 1);
  }
}

// An empty positional is an error: `echo-server 127.0.0.1 "$PORT"` with PORT unset must not
// quietly listen on 8888.
TEST_CASE("server_options: an empty positional PORT or HOST is an error", "[server_options]") {
  for (const arg_list& args : {arg_list{"127.0.0.1", ""}, arg_list{"", "9000"}}) {
    INFO(command_line(args));
    const parse_result result = parse(args);
    CHECK(std::holds_alternative<early_exit>(result));
  }
}

TEST_CASE("server_options: limits and timeouts, defaults and values", "[server_options]") {
  using std::chrono::seconds;
  const server_options defaults = options_from({});
  REQUIRE(defaults.max_connections == 0);  // derived from the descriptor limit at start
  REQUIRE(defaults.max_connections_per_ip == 0);
  REQUIRE(defaults.idle_timeout == seconds(300));
  REQUIRE(defaults.write_timeout == seconds(30));

  const server_options o = options_from({"--max-connections", "5", "--max-connections-per-ip=2",
                                         "--idle-timeout", "1", "--write-timeout", "0"});
  REQUIRE(o.max_connections == 5);
  REQUIRE(o.max_connections_per_ip == 2);
  REQUIRE(o.idle_timeout == seconds(1));
  REQUIRE(o.write_timeout == seconds(0));

  // The ends of each range.
  REQUIRE(options_from({"--max-connections", "10000000"}).max_connections == 10000000);
  REQUIRE(options_from({"--max-connections", "0"}).max_connections == 0);
  REQUIRE(options_from({"--max-connections-per-ip", "10000000"}).max_connections_per_ip ==
          10000000);
  REQUIRE(options_from({"--idle-timeout", "86400"}).idle_timeout == seconds(86400));
  REQUIRE(options_from({"--idle-timeout", "0"}).idle_timeout == seconds(0));
  REQUIRE(options_from({"--write-timeout", "86400"}).write_timeout == seconds(86400));
  REQUIRE(options_from({"--write-timeout", "007"}).write_timeout == seconds(7));
}

TEST_CASE("server_options: limit and timeout usage errors have exact one-line wording",
          "[server_options]") {
  struct error_case {
    arg_list args;
    std::string text;
  };
  const auto count_error = [](const std::string& flag, const std::string& value) {
    return usage_line("invalid --" + flag + " '" + value +
                      "': expected a number from 0 to 10000000");
  };
  const auto seconds_error = [](const std::string& flag, const std::string& value) {
    return usage_line("invalid --" + flag + " '" + value + "': expected seconds from 0 to 86400");
  };
  const std::vector<error_case> cases = {
      {{"--max-connections", "x"}, count_error("max-connections", "x")},
      {{"--max-connections", "10000001"}, count_error("max-connections", "10000001")},
      {{"--max-connections", "-1"}, count_error("max-connections", "-1")},
      {{"--max-connections", ""}, count_error("max-connections", "")},
      {{"--max-connections", "1e3"}, count_error("max-connections", "1e3")},
      {{"--max-connections", "99999999999999999999"},
       count_error("max-connections", "99999999999999999999")},
      {{"--max-connections-per-ip", "two"}, count_error("max-connections-per-ip", "two")},
      {{"--max-connections-per-ip", "10000001"}, count_error("max-connections-per-ip", "10000001")},
      {{"--max-connections-per-ip", " 2"}, count_error("max-connections-per-ip", " 2")},
      {{"--idle-timeout", "x"}, seconds_error("idle-timeout", "x")},
      {{"--idle-timeout", "86401"}, seconds_error("idle-timeout", "86401")},
      {{"--idle-timeout", "1.5"}, seconds_error("idle-timeout", "1.5")},
      {{"--idle-timeout", "5s"}, seconds_error("idle-timeout", "5s")},
      {{"--idle-timeout", "-1"}, seconds_error("idle-timeout", "-1")},
      {{"--idle-timeout", ""}, seconds_error("idle-timeout", "")},
      {{"--idle-timeout", "99999999999"}, seconds_error("idle-timeout", "99999999999")},
      {{"--write-timeout", "x"}, seconds_error("write-timeout", "x")},
      {{"--write-timeout", "86401"}, seconds_error("write-timeout", "86401")},
      {{"--write-timeout", "+3"}, seconds_error("write-timeout", "+3")},
  };
  REQUIRE(std::get<early_exit>(parse({"--idle-timeout", "x"})).text ==
          "echo-server: invalid --idle-timeout 'x': expected seconds from 0 to 86400 (try "
          "'echo-server --help')\n");
  for (const auto& c : cases) {
    DYNAMIC_SECTION(command_line(c.args)) {
      const early_exit e = exit_from(c.args);
      REQUIRE(e.code == exit_code::usage);
      REQUIRE(e.text == c.text);
      REQUIRE(std::count(e.text.begin(), e.text.end(), '\n') == 1);
    }
  }
}

TEST_CASE("server_options: a missing limit or timeout value is a usage error", "[server_options]") {
  for (const char* flag :
       {"--max-connections", "--max-connections-per-ip", "--idle-timeout", "--write-timeout"}) {
    INFO(flag);
    const early_exit e = exit_from({flag});
    REQUIRE(e.code == exit_code::usage);
    REQUIRE_THAT(e.text, Catch::StartsWith("echo-server: ") &&
                             Catch::EndsWith(" (try 'echo-server --help')\n"));
    REQUIRE(std::count(e.text.begin(), e.text.end(), '\n') == 1);
  }
}

TEST_CASE("server_options: --help lists the limits and timeouts with their defaults",
          "[server_options]") {
  const early_exit e = exit_from({"--help"});
  REQUIRE(e.code == exit_code::ok);
  REQUIRE_THAT(e.text, Catch::Contains("--max-connections N (=0)") &&
                           Catch::Contains("--max-connections-per-ip N (=0)") &&
                           Catch::Contains("--idle-timeout SECONDS (=300)") &&
                           Catch::Contains("--write-timeout SECONDS (=30)"));
}

TEST_CASE("server_options: --workers", "[server_options]") {
  CHECK(std::get<server_options>(parse({})).workers == 1);
  CHECK(std::get<server_options>(parse({"--workers", "4"})).workers == 4);
  for (const char* bad : {"0", "257", "x", "-1"}) {
    INFO(bad);
    const parse_result result = parse({"--workers", bad});
    const auto* e = std::get_if<early_exit>(&result);
    REQUIRE(e != nullptr);
    CHECK(e->code == exit_code::usage);
    CHECK(e->text.find("invalid --workers '" + std::string(bad) + "'") != std::string::npos);
  }
}

TEST_CASE("server_options: TLS, PROXY protocol, handshake and stats settings", "[server_options]") {
  using std::chrono::seconds;
  const server_options defaults = options_from({});
  CHECK(defaults.tls_cert.empty());
  CHECK(defaults.tls_key.empty());
  CHECK(defaults.tls_client_ca.empty());
  CHECK(defaults.handshake_timeout == seconds(10));
  CHECK(defaults.max_handshakes == 1000);
  CHECK_FALSE(defaults.proxy_protocol);
  CHECK(defaults.stats_interval == seconds(0));

  const server_options o = options_from({"--tls-cert", "server.pem", "--tls-key", "server.key",
                                         "--tls-client-ca", "ca.pem", "--handshake-timeout", "3",
                                         "--proxy-protocol", "--stats-interval", "60"});
  CHECK(o.tls_cert == "server.pem");
  CHECK(o.tls_key == "server.key");
  CHECK(o.tls_client_ca == "ca.pem");
  CHECK(o.handshake_timeout == seconds(3));
  CHECK(o.proxy_protocol);
  CHECK(o.stats_interval == seconds(60));
  // The files are not looked at here: the server loads them at start.
  CHECK(options_from({"--tls-cert", "/nonexistent", "--tls-key", "/nonexistent"}).tls_cert ==
        "/nonexistent");
  CHECK(options_from({"--handshake-timeout", "1"}).handshake_timeout == seconds(1));
  CHECK(options_from({"--handshake-timeout", "86400"}).handshake_timeout == seconds(86400));
  CHECK(options_from({"--max-handshakes", "5"}).max_handshakes == 5);
  CHECK(options_from({"--max-handshakes", "0"}).max_handshakes == 0);  // no limit
  CHECK(options_from({"--max-handshakes", "10000000"}).max_handshakes == 10000000);
  CHECK(options_from({"--stats-interval", "86400"}).stats_interval == seconds(86400));
}

TEST_CASE("server_options: TLS, handshake and stats usage errors have exact one-line wording",
          "[server_options]") {
  struct error_case {
    arg_list args;
    std::string text;
  };
  const std::vector<error_case> cases = {
      {{"--tls-cert", "c.pem"}, usage_line("--tls-cert and --tls-key go together")},
      {{"--tls-key", "k.pem"}, usage_line("--tls-cert and --tls-key go together")},
      {{"--tls-client-ca", "ca.pem"}, usage_line("--tls-client-ca requires --tls-cert")},
      {{"--tls-client-ca", "ca.pem", "--tls-key", "k.pem"},
       usage_line("--tls-cert and --tls-key go together")},
      {{"--handshake-timeout", "0"},
       usage_line("invalid --handshake-timeout '0': expected seconds from 1 to 86400")},
      {{"--handshake-timeout", "86401"},
       usage_line("invalid --handshake-timeout '86401': expected seconds from 1 to 86400")},
      {{"--handshake-timeout", "x"},
       usage_line("invalid --handshake-timeout 'x': expected seconds from 1 to 86400")},
      {{"--max-handshakes", "x"},
       usage_line("invalid --max-handshakes 'x': expected a number from 0 to 10000000")},
      {{"--max-handshakes", "10000001"},
       usage_line("invalid --max-handshakes '10000001': expected a number from 0 to 10000000")},
      {{"--max-handshakes", "-1"},
       usage_line("invalid --max-handshakes '-1': expected a number from 0 to 10000000")},
      {{"--stats-interval", "-1"},
       usage_line("invalid --stats-interval '-1': expected seconds from 0 to 86400")},
      {{"--stats-interval", "1.5"},
       usage_line("invalid --stats-interval '1.5': expected seconds from 0 to 86400")},
      {{"--proxy-protocol=true"},
       usage_line("option '--proxy-protocol' does not take any arguments")},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(command_line(c.args)) {
      const early_exit e = exit_from(c.args);
      REQUIRE(e.code == exit_code::usage);
      REQUIRE(e.text == c.text);
    }
  }
}

TEST_CASE("server_options: --help lists the new options", "[server_options]") {
  const early_exit e = exit_from({"--help"});
  REQUIRE_THAT(e.text, Catch::Contains("--tls-cert FILE") && Catch::Contains("--tls-key FILE") &&
                           Catch::Contains("--tls-client-ca FILE") &&
                           Catch::Contains("--handshake-timeout SECONDS (=10)") &&
                           Catch::Contains("--max-handshakes N (=1000)") &&
                           Catch::Contains("--proxy-protocol") &&
                           Catch::Contains("--stats-interval SECONDS (=0)") &&
                           Catch::Contains("--config FILE") && Catch::Contains("--print-config") &&
                           Catch::Contains("ECHO_SERVER_MAX_LINE") && Catch::Contains("SIGUSR1"));
}

namespace {

using echo::test::scoped_variable;
using echo::test::scratch_file;

std::string print_config(const arg_list& args) {
  arg_list with = args;
  with.push_back("--print-config");
  const early_exit e = exit_from(with);
  REQUIRE(e.code == exit_code::ok);
  return e.text;
}

// The value of `name` in --print-config text ("port = 8888" -> "8888").
std::string printed(const std::string& text, const std::string& name) {
  const std::string key = "\n" + name + " = ";
  const std::string all = "\n" + text;
  const auto at = all.find(key);
  if (at == std::string::npos) return "(absent)";
  const auto start = at + key.size();
  return all.substr(start, all.find('\n', start) - start);
}

}  // namespace

TEST_CASE("server_options: --print-config prints every settable option with its default",
          "[server_options]") {
  const std::string text = print_config({});
  CHECK(text ==
        "host = 127.0.0.1\n"
        "port = 8888\n"
        "reply = echo\n"
        "prefix = \"Echo: \"\n"
        "ack = ACK!\n"
        "once = false\n"
        "max-line = 65536\n"
        "message-wait = 50\n"
        "max-connections = 0\n"
        "max-connections-per-ip = 0\n"
        "idle-timeout = 300\n"
        "write-timeout = 30\n"
        "handshake-timeout = 10\n"
        "max-handshakes = 1000\n"
        "udp = false\n"
        "no-tcp = false\n"
        "udp-allow-low-ports = false\n"
        "udp-rate = 0\n"
        "udp-rate-per-source = 0\n"
        "allow = \"\"\n"
        "deny = \"\"\n"
        "delay = 0\n"
        "jitter = 0\n"
        "throttle = 0\n"
        "loss = 0\n"
        "reset-after = 0\n"
        "reset-chance = 100\n"
        "slice = 0\n"
        "slice-gap = 0\n"
        "stall-after = 0\n"
        "stall = 0\n"
        "seed = \"\"\n"
        "workers = 1\n"
        "tls-cert = \"\"\n"
        "tls-key = \"\"\n"
        "tls-client-ca = \"\"\n"
        "proxy-protocol = false\n"
        "stats-interval = 0\n"
        "admin = \"\"\n"
        "metrics = \"\"\n"
        "admin-write = false\n"
        "shutdown-delay = 0\n"
        "drain-timeout = 2\n"
        "verbose = false\n"
        "quiet = false\n"
        "log-format = text\n");
}

// Guards against an option added to the parser but forgotten in --print-config: every long
// option --help shows, but those only the command line takes, has its line.
TEST_CASE("server_options: --print-config has a line for every option --help shows",
          "[server_options]") {
  const std::string whole_help = exit_from({"--help"}).text;
  const std::string help = whole_help.substr(0, whole_help.find("\nReply modes"));
  const std::string text = print_config({});
  const std::regex long_option(R"(\n  (?:-[a-zA-Z] \[ )?--([a-z-]+))");
  std::size_t checked = 0;
  for (auto it = std::sregex_iterator(help.begin(), help.end(), long_option);
       it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    if (name == "help" || name == "version" || name == "config" || name == "print-config") {
      CHECK(printed(text, name) == "(absent)");
      continue;
    }
    INFO(name);
    CHECK(printed(text, name) != "(absent)");
    ++checked;
  }
  CHECK(checked == 46);
}

TEST_CASE("server_options: --print-config shows the effective values", "[server_options]") {
  const std::string text =
      print_config({"0.0.0.0", "9999", "--reply", "prefix", "--prefix", "# ", "--once", "-q",
                    "--proxy-protocol", "--tls-cert", "c.pem", "--tls-key", "k.pem"});
  CHECK(printed(text, "host") == "0.0.0.0");
  CHECK(printed(text, "port") == "9999");
  CHECK(printed(text, "reply") == "prefix");
  CHECK(printed(text, "prefix") == "\"\\x23 \"");
  CHECK(printed(text, "once") == "true");
  CHECK(printed(text, "quiet") == "true");
  CHECK(printed(text, "verbose") == "false");
  CHECK(printed(text, "proxy-protocol") == "true");
  CHECK(printed(text, "tls-cert") == "c.pem");
}

TEST_CASE("server_options: --print-config output read back as --config gives the same settings",
          "[server_options]") {
  for (const arg_list& args :
       {arg_list{}, arg_list{"::1", "0", "--reply", "ack", "--ack", " \"OK\"\t#1 ", "-v"},
        arg_list{"--prefix", "", "--max-line", "7", "--workers", "3", "--stats-interval", "5",
                 "--tls-cert", "a b.pem", "--tls-key", "k#.pem", "--tls-client-ca", "ca.pem"}}) {
    INFO(command_line(args));
    const std::string first = print_config(args);
    const scratch_file file(first);
    CHECK(print_config({"--config", file.path().c_str()}) == first);
  }
}

TEST_CASE("server_options: a config file sets options under the command line", "[server_options]") {
  const scratch_file file(
      "# echo-server settings\n"
      "port = 9000\n"
      "reply = prefix\n"
      "prefix = \"> \"\n"
      "max-line = 1024\n"
      "proxy-protocol = true\n"
      "once = true\n"
      "idle-timeout = 5\n");
  const server_options o = options_from({"--config", file.path().c_str(), "--idle-timeout", "6"});
  CHECK(o.port == 9000);
  CHECK(o.reply.mode == reply_mode::prefix);
  CHECK(o.reply.prefix == "> ");
  CHECK(o.reply.max_line == 1024);
  CHECK(o.proxy_protocol);
  CHECK(o.reply.once);
  CHECK(o.idle_timeout == std::chrono::seconds(6));
  // Positional HOST PORT are the command line's too, and win over the file.
  CHECK(options_from({"--config", file.path().c_str(), "7000"}).port == 7000);
  CHECK(options_from({"--config", file.path().c_str(), "::1", "7000"}).address ==
        ip::make_address("::1"));
}

TEST_CASE("server_options: ECHO_SERVER_ variables sit between the command line and the file",
          "[server_options]") {
  const scratch_file file("port = 9000\nmax-line = 10\nreply = ack\n");
  const scoped_variable port("ECHO_SERVER_PORT", "9001");
  const scoped_variable line("ECHO_SERVER_MAX_LINE", "1024");
  const scoped_variable proxy("ECHO_SERVER_PROXY_PROTOCOL", "true");
  const server_options o = options_from({"--config", file.path().c_str(), "-p", "9002"});
  CHECK(o.port == 9002);                   // command line
  CHECK(o.reply.max_line == 1024);         // environment over file
  CHECK(o.reply.mode == reply_mode::ack);  // file over default
  CHECK(o.proxy_protocol);                 // environment
  CHECK(options_from({"--config", file.path().c_str()}).port == 9001);
  CHECK(options_from({}).port == 9001);
  // A positional PORT is the command line's: it is not "given twice" with the environment's.
  CHECK(options_from({"7000"}).port == 7000);
}

TEST_CASE("server_options: -v and -q from different layers: the higher one wins",
          "[server_options]") {
  const scratch_file verbose("verbose = true\n");
  const scratch_file both("verbose = true\nquiet = true\n");
  CHECK(exit_from({"--config", both.path().c_str()}).text ==
        usage_line("config file '" + both.path() +
                   "': --verbose and --quiet cannot be used together"));
  CHECK(options_from({"--config", verbose.path().c_str(), "-q"}).verbosity == log_level::warning);
  CHECK(options_from({"--config", verbose.path().c_str()}).verbosity == log_level::debug);
  const scoped_variable quiet("ECHO_SERVER_QUIET", "1");
  CHECK(options_from({"--config", verbose.path().c_str()}).verbosity == log_level::warning);
  CHECK(options_from({"-v"}).verbosity == log_level::debug);
}

TEST_CASE("server_options: a bad value from the environment or a file names where it came from",
          "[server_options]") {
  const scratch_file file("max-line = 0\nworkers = 2\n");
  CHECK(exit_from({"--config", file.path().c_str()}).text ==
        usage_line("config file '" + file.path() +
                   "': invalid --max-line '0': expected a number of bytes, at least 1"));
  const scratch_file tls("tls-client-ca = ca.pem\n");
  CHECK(exit_from({"--config", tls.path().c_str()}).text ==
        usage_line("config file '" + tls.path() + "': --tls-client-ca requires --tls-cert"));
  {
    const scoped_variable port("ECHO_SERVER_PORT", "http");
    CHECK(exit_from({}).text ==
          usage_line("environment variable ECHO_SERVER_PORT: invalid port 'http': expected a "
                     "number from 0 to 65535"));
    CHECK(options_from({"-p", "80"}).port == 80);  // the command line wins: no error
  }
  {
    const scoped_variable host("ECHO_SERVER_HOST", "nope.invalid");
    CHECK(exit_from({}).text ==
          usage_line("environment variable ECHO_SERVER_HOST: invalid host 'nope.invalid': not an "
                     "IP address and it does not resolve"));
  }
  {
    const scoped_variable reply("ECHO_SERVER_REPLY", "loud");
    CHECK(exit_from({}).text ==
          usage_line("environment variable ECHO_SERVER_REPLY: invalid --reply 'loud': expected "
                     "echo, prefix or ack"));
  }
}

TEST_CASE("server_options: unknown ECHO_SERVER_ variables and config keys are usage errors",
          "[server_options]") {
  {
    const scoped_variable typo("ECHO_SERVER_MAXLINE", "10");
    const early_exit e = exit_from({});
    CHECK(e.code == exit_code::usage);
    CHECK(e.text == usage_line("environment variable ECHO_SERVER_MAXLINE names no option"));
  }
  for (const char* name : {"ECHO_SERVER_CONFIG", "ECHO_SERVER_PRINT_CONFIG", "ECHO_SERVER_HELP",
                           "ECHO_SERVER_VERSION"}) {
    INFO(name);
    const scoped_variable v(name, "1");
    CHECK_THAT(exit_from({}).text, Catch::Contains(" works only on the command line"));
  }
  for (const char* key : {"help", "version", "config", "print-config"}) {
    INFO(key);
    const scratch_file file(std::string(key) + " = 1\n");
    CHECK(exit_from({"--config", file.path().c_str()}).text ==
          usage_line("config file '" + file.path() + "': --" + key +
                     " works only on the command line"));
  }
  const scratch_file file("max_line = 10\n");
  CHECK(exit_from({"--config", file.path().c_str()}).text ==
        usage_line("config file '" + file.path() + "': unrecognised option 'max_line'"));
  const early_exit missing = exit_from({"--config", "/nonexistent/echo-server.conf"});
  CHECK(missing.code == exit_code::usage);
  CHECK(missing.text == usage_line("cannot read config file '/nonexistent/echo-server.conf': no "
                                   "such file or directory"));
}

TEST_CASE("server_options: --log-format from the command line, the environment and a file",
          "[server_options]") {
  CHECK(options_from({}).log_format == echo::log_format::text);
  CHECK(options_from({"--log-format", "json"}).log_format == echo::log_format::json);
  CHECK(options_from({"--log-format=text"}).log_format == echo::log_format::text);
  const scratch_file file("log-format = json\n");
  CHECK(options_from({"--config", file.path().c_str()}).log_format == echo::log_format::json);
  CHECK(printed(print_config({"--config", file.path().c_str()}), "log-format") == "json");
  const scratch_file bad("log-format = yaml\n");
  CHECK(exit_from({"--config", bad.path().c_str()}).text ==
        usage_line("config file '" + bad.path() +
                   "': invalid --log-format 'yaml': expected text or json"));
  const scoped_variable format("ECHO_SERVER_LOG_FORMAT", "text");
  CHECK(options_from({"--config", file.path().c_str()}).log_format == echo::log_format::text);
  CHECK(options_from({"--log-format", "json"}).log_format == echo::log_format::json);
}

TEST_CASE("server_options: --max-handshakes from the command line, the environment and a file",
          "[server_options]") {
  const scratch_file file("max-handshakes = 7\n");
  CHECK(options_from({"--config", file.path().c_str()}).max_handshakes == 7);
  CHECK(printed(print_config({"--config", file.path().c_str()}), "max-handshakes") == "7");
  const scratch_file bad("max-handshakes = many\n");
  CHECK(exit_from({"--config", bad.path().c_str()}).text ==
        usage_line("config file '" + bad.path() +
                   "': invalid --max-handshakes 'many': expected a number from 0 to 10000000"));
  {
    const scoped_variable env("ECHO_SERVER_MAX_HANDSHAKES", "8");
    CHECK(options_from({"--config", file.path().c_str()}).max_handshakes == 8);
    CHECK(options_from({"--config", file.path().c_str(), "--max-handshakes", "9"}).max_handshakes ==
          9);
  }
  const scoped_variable env("ECHO_SERVER_MAX_HANDSHAKES", "-1");
  CHECK(exit_from({}).text ==
        usage_line("environment variable ECHO_SERVER_MAX_HANDSHAKES: invalid --max-handshakes "
                   "'-1': expected a number from 0 to 10000000"));
}

// The table is the one place an option is declared: each entry must reach --help, --print-config,
// its ECHO_SERVER_* variable and its config file key, and its example value must mean the same
// in each layer and survive --print-config read back as a config file.
TEST_CASE("server_options: every entry of the option table reaches every layer",
          "[server_options]") {
  const std::string help = exit_from({"--help"}).text;
  const std::string defaults = print_config({});
  const auto what_of = [](const early_exit& e) {
    const std::string head = "echo-server: ";
    const std::string tail = " (try 'echo-server --help')\n";
    return e.text.substr(head.size(), e.text.size() - head.size() - tail.size());
  };
  std::size_t refused = 0;
  for (const echo::server_option& option : echo::server_option_table()) {
    const std::string name = option.long_name();
    INFO(name << " = " << option.example);
    const bool is_toggle = option.type == echo::server_option::kind::toggle;
    std::string flag = "--" + name;
    if (option.name.size() > name.size())
      flag = "-" + option.name.substr(name.size() + 1) + " [ --" + name + " ]";
    CHECK_THAT(help, Catch::Contains("\n  " + flag + (is_toggle ? "" : " " + option.value_name)) &&
                         Catch::Contains(option.help.substr(0, 20)));
    CHECK(printed(defaults, name) != "(absent)");

    // A toggle is on when given; its example is "true".
    const std::string given = is_toggle ? "--" + name : "--" + name + "=" + option.example;
    const early_exit from_line = exit_from({given.c_str(), "--print-config"});
    const std::string variable = echo::environment_name(echo::environment_prefix, name);
    const early_exit from_environment = [&] {
      const scoped_variable value(variable.c_str(), option.example.c_str());
      return exit_from({"--print-config"});
    }();
    const scratch_file file(name + " = " + echo::quote_config_value(option.example) + "\n");
    const early_exit from_file = exit_from({"--config", file.path().c_str(), "--print-config"});
    if (from_line.code == exit_code::ok) {
      CHECK(from_line.text != defaults);  // the example is not the default: it was applied
      CHECK(printed(from_line.text, name) == echo::quote_config_value(option.example));
      CHECK(from_environment.text == from_line.text);
      CHECK(from_file.text == from_line.text);
      const scratch_file printed_back(from_line.text);
      CHECK(print_config({"--config", printed_back.path().c_str()}) == from_line.text);
    } else {
      // Alone, the example breaks a cross-option rule (--tls-key without --tls-cert): each layer
      // refuses it the same way, naming itself.
      ++refused;
      CHECK(from_environment.text ==
            usage_line("environment variable " + variable + ": " + what_of(from_line)));
      CHECK(from_file.text ==
            usage_line("config file '" + file.path() + "': " + what_of(from_line)));
    }
  }
  // tls-cert, tls-key, tls-client-ca; no-tcp (needs --udp), udp-allow-low-ports, udp-rate,
  // udp-rate-per-source (each needs --udp); loss (needs --udp), reset-chance, slice-gap,
  // stall-after (each needs its companion), admin-write (needs --admin)
  CHECK(refused == 12);
}
