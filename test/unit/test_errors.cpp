// errors: the one-line wording of listen failures, which connection endings are normal, and the
// short reasons in "closed" lines.

#include "common/errors.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <catch2/catch.hpp>

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
