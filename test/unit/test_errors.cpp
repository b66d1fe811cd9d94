// errors: the one-line wording of listen failures and of the client's failures (with their exit
// codes), usage lines, which connection endings are normal, and the short reasons in "closed"
// lines.

#include "common/errors.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace {

namespace asio_error = boost::asio::error;
using boost::system::error_code;
using boost::system::errc::make_error_code;

}  // namespace

TEST_CASE("describe_listen_error names the address and the reason", "[errors]") {
  const std::string where = "127.0.0.1:8888";

  SECTION("address in use") {
    REQUIRE(echo::describe_listen_error(asio_error::address_in_use, where) ==
            "address 127.0.0.1:8888 already in use");
    REQUIRE(echo::describe_listen_error(asio_error::address_in_use, "[::1]:80") ==
            "address [::1]:80 already in use");
  }
  SECTION("permission denied, for EACCES and EPERM alike") {
    const std::string expected =
        "permission denied to listen on 127.0.0.1:8888 (ports below 1024 need root or "
        "CAP_NET_BIND_SERVICE)";
    REQUIRE(echo::describe_listen_error(asio_error::access_denied, where) == expected);
    REQUIRE(echo::describe_listen_error(
                make_error_code(boost::system::errc::operation_not_permitted), where) == expected);
  }
  SECTION("an address this machine does not have") {
    REQUIRE(echo::describe_listen_error(make_error_code(boost::system::errc::address_not_available),
                                        "10.9.8.7:80") ==
            "cannot listen on 10.9.8.7:80: no such address on this machine");
  }
  SECTION("no IPv6") {
    REQUIRE(echo::describe_listen_error(asio_error::address_family_not_supported, "[::1]:80") ==
            "cannot listen on [::1]:80: address family not supported (is IPv6 disabled?)");
  }
  SECTION("anything else: the system message, lower-cased") {
    const error_code ec = asio_error::no_buffer_space;
    const std::string text = echo::describe_listen_error(ec, where);
    REQUIRE(text == "cannot listen on 127.0.0.1:8888: " + echo::lower_message(ec));
    REQUIRE(echo::describe_listen_error(asio_error::connection_refused, where) ==
            "cannot listen on 127.0.0.1:8888: connection refused");
  }
  SECTION("always one line") {
    for (const error_code ec :
         {error_code(asio_error::address_in_use), error_code(asio_error::access_denied),
          error_code(asio_error::no_descriptors), error_code(asio_error::invalid_argument)}) {
      INFO(ec.message());
      REQUIRE(echo::describe_listen_error(ec, where).find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("lower_message lower-cases only the first letter", "[errors]") {
  REQUIRE(echo::lower_message(asio_error::connection_refused) == "connection refused");
  REQUIRE(echo::lower_message(error_code()) == "success");
}

TEST_CASE("is_normal_ending: how connections usually end vs real failures", "[errors]") {
  const std::vector<error_code> normal = {
      asio_error::eof,
      asio_error::connection_reset,
      asio_error::broken_pipe,
      asio_error::operation_aborted,
      asio_error::connection_aborted,
      asio_error::not_connected,
      asio_error::shut_down,
      asio_error::timed_out,
  };
  for (const auto& ec : normal) {
    INFO(ec.category().name() << ": " << ec.message());
    REQUIRE(echo::is_normal_ending(ec));
  }
  const std::vector<error_code> failures = {
      asio_error::host_not_found, asio_error::connection_refused,  asio_error::no_buffer_space,
      asio_error::access_denied,  asio_error::address_in_use,      asio_error::no_descriptors,
      asio_error::message_size,   asio_error::network_unreachable,
  };
  for (const auto& ec : failures) {
    INFO(ec.category().name() << ": " << ec.message());
    REQUIRE_FALSE(echo::is_normal_ending(ec));
  }
}

TEST_CASE("describe_ending: short reasons for the closed line", "[errors]") {
  REQUIRE(echo::describe_ending(asio_error::eof) == "eof");
  REQUIRE(echo::describe_ending(asio_error::connection_reset) == "reset by peer");
  REQUIRE(echo::describe_ending(asio_error::broken_pipe) == "peer stopped reading");
  REQUIRE(echo::describe_ending(asio_error::timed_out) == "timed out");
  REQUIRE(echo::describe_ending(asio_error::connection_refused) == "connection refused");
  REQUIRE(echo::describe_ending(asio_error::operation_aborted) ==
          echo::lower_message(asio_error::operation_aborted));
}

TEST_CASE("exit codes are the documented numbers", "[errors]") {
  REQUIRE(echo::to_int(echo::exit_code::ok) == 0);
  REQUIRE(echo::to_int(echo::exit_code::failure) == 1);
  REQUIRE(echo::to_int(echo::exit_code::usage) == 2);
}

TEST_CASE("usage_error carries its text", "[errors]") {
  const echo::usage_error error("bad flag");
  REQUIRE(std::string(error.what()) == "bad flag");
}

TEST_CASE("exit codes: the client's failures have their own numbers", "[errors]") {
  CHECK(echo::to_int(echo::exit_code::ok) == 0);
  CHECK(echo::to_int(echo::exit_code::failure) == 1);
  CHECK(echo::to_int(echo::exit_code::usage) == 2);
  CHECK(echo::to_int(echo::exit_code::connection_refused) == 3);
  CHECK(echo::to_int(echo::exit_code::host_not_found) == 4);
  CHECK(echo::to_int(echo::exit_code::timed_out) == 5);
  CHECK(echo::to_int(echo::exit_code::connection_reset) == 6);
}

TEST_CASE("format_usage_error: program, reason, hint, one line", "[errors]") {
  CHECK(echo::format_usage_error("echo-client",
                                 "invalid port '70000': expected a number from 0 "
                                 "to 65535") ==
        "echo-client: invalid port '70000': expected a number from 0 to 65535 (try 'echo-client "
        "--help')\n");
  CHECK(echo::format_usage_error("echo-server", "unrecognised option '--bogus'") ==
        "echo-server: unrecognised option '--bogus' (try 'echo-server --help')\n");

  SECTION("control bytes in the reason are escaped, so it stays one line") {
    const std::string line = echo::format_usage_error("echo-client", "bad 'a\nb\rc\td\x1b[0m'");
    CHECK(line == "echo-client: bad 'a\\nb\\rc\\td\\x1b[0m' (try 'echo-client --help')\n");
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
    CHECK(line.back() == '\n');
  }
  SECTION("UTF-8 text is kept as it is; a backslash is doubled") {
    CHECK(echo::format_usage_error("echo-client", "h\xc3\xa9 \\") ==
          "echo-client: h\xc3\xa9 \\\\ (try 'echo-client --help')\n");
  }
  SECTION("an embedded NUL does not cut the line") {
    const std::string what("a\0b", 3);
    CHECK(echo::format_usage_error("echo-client", what) ==
          "echo-client: a\\x00b (try 'echo-client --help')\n");
  }
}

TEST_CASE("resolve_failure: host not found, exit 4", "[errors]") {
  for (const error_code ec :
       {error_code(asio_error::host_not_found), error_code(asio_error::host_not_found_try_again),
        error_code(asio_error::no_data)}) {
    INFO(ec.message());
    const echo::failure f = echo::resolve_failure(ec, "nope.invalid");
    CHECK(f.code == echo::exit_code::host_not_found);
    CHECK(f.message == "cannot resolve host 'nope.invalid': host not found");
  }
  SECTION("another resolver error keeps its own reason") {
    const echo::failure f = echo::resolve_failure(asio_error::no_recovery, "example.test");
    CHECK(f.code == echo::exit_code::host_not_found);
    CHECK(f.message ==
          "cannot resolve host 'example.test': " + echo::lower_message(asio_error::no_recovery));
  }
}

TEST_CASE("connect_failure: refused is exit 3, timed out exit 5, others exit 1", "[errors]") {
  const std::string where = "127.0.0.1:8888";
  SECTION("refused") {
    const echo::failure f = echo::connect_failure(asio_error::connection_refused, where);
    CHECK(f.code == echo::exit_code::connection_refused);
    CHECK(f.message ==
          "cannot connect to 127.0.0.1:8888: connection refused (is the server running?)");
  }
  SECTION("timed out") {
    const echo::failure f = echo::connect_failure(asio_error::timed_out, "[::1]:80");
    CHECK(f.code == echo::exit_code::timed_out);
    CHECK(f.message == "cannot connect to [::1]:80: timed out");
  }
  SECTION("anything else: the system message, lower-cased, exit 1") {
    const echo::failure f = echo::connect_failure(asio_error::network_unreachable, where);
    CHECK(f.code == echo::exit_code::failure);
    CHECK(f.message == "cannot connect to 127.0.0.1:8888: " +
                           echo::lower_message(asio_error::network_unreachable));
  }
}

TEST_CASE("transfer_failure: reset is exit 6, an early close exit 1", "[errors]") {
  const std::string where = "127.0.0.1:8888";
  for (const error_code ec :
       {error_code(asio_error::connection_reset), error_code(asio_error::broken_pipe)}) {
    INFO(ec.message());
    const echo::failure f = echo::transfer_failure(ec, where);
    CHECK(f.code == echo::exit_code::connection_reset);
    CHECK(f.message == "connection to 127.0.0.1:8888 reset by the server");
  }
  SECTION("EOF before a reply") {
    const echo::failure f = echo::transfer_failure(asio_error::eof, where);
    CHECK(f.code == echo::exit_code::failure);
    CHECK(f.message == "127.0.0.1:8888 closed the connection before replying");
  }
  SECTION("anything else") {
    const echo::failure f = echo::transfer_failure(asio_error::no_buffer_space, "[::1]:9");
    CHECK(f.code == echo::exit_code::failure);
    CHECK(f.message ==
          "connection to [::1]:9: " + echo::lower_message(asio_error::no_buffer_space));
  }
}

TEST_CASE("timeout_failure: seconds as typed, exit 5", "[errors]") {
  using std::chrono::milliseconds;
  struct timeout_case {
    milliseconds timeout;
    std::string what;
    std::string message;
  };
  const std::vector<timeout_case> cases = {
      {milliseconds(500), "waiting for a reply from",
       "timed out after 0.5s waiting for a reply from 127.0.0.1:8888"},
      {milliseconds(10'000), "waiting for a reply from",
       "timed out after 10s waiting for a reply from 127.0.0.1:8888"},
      {milliseconds(2'000), "connecting to", "timed out after 2s connecting to 127.0.0.1:8888"},
      {milliseconds(2'250), "connecting to", "timed out after 2.25s connecting to 127.0.0.1:8888"},
      {milliseconds(1), "connecting to", "timed out after 0.001s connecting to 127.0.0.1:8888"},
  };
  for (const auto& c : cases) {
    INFO(c.timeout.count() << " ms");
    const echo::failure f = echo::timeout_failure(c.what, "127.0.0.1:8888", c.timeout);
    CHECK(f.code == echo::exit_code::timed_out);
    CHECK(f.message == c.message);
  }
}

TEST_CASE("client failures are one line each", "[errors]") {
  const std::string where = "127.0.0.1:8888";
  const std::vector<echo::failure> failures = {
      echo::resolve_failure(asio_error::host_not_found, "nope.invalid"),
      echo::connect_failure(asio_error::connection_refused, where),
      echo::connect_failure(asio_error::access_denied, where),
      echo::transfer_failure(asio_error::connection_reset, where),
      echo::transfer_failure(asio_error::eof, where),
      echo::timeout_failure("waiting for a reply from", where, std::chrono::milliseconds(500)),
  };
  for (const auto& f : failures) {
    INFO(f.message);
    CHECK_FALSE(f.message.empty());
    CHECK(f.message.find('\n') == std::string::npos);
    CHECK(f.code != echo::exit_code::ok);
    CHECK(f.code != echo::exit_code::usage);
  }
}
