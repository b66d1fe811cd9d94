// endpoint: ports and hosts as users type them, name resolution, and the one way endpoints are
// shown in logs.

#include "common/endpoint.hpp"

#include "common/errors.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ip = boost::asio::ip;

}  // namespace

TEST_CASE("parse_port accepts decimal 0..65535", "[endpoint]") {
  struct port_case {
    std::string_view text;
    std::uint16_t port;
  };
  const std::vector<port_case> valid = {
      {"0", 0}, {"1", 1}, {"80", 80}, {"8888", 8888}, {"65535", 65535}, {"00080", 80},
  };
  for (const auto& c : valid) {
    INFO("'" << c.text << "'");
    const auto port = echo::parse_port(c.text);
    REQUIRE(port.has_value());
    REQUIRE(*port == c.port);
  }
}

TEST_CASE("parse_port rejects everything else", "[endpoint]") {
  for (const std::string_view text :
       {"65536", "70000", "99999", "999999", "-1", "+1", " 80", "80 ", "8 0", "abc", "", "0x10",
        "1e3", "80a", "000000", "4294967376"}) {
    INFO("'" << text << "'");
    REQUIRE_FALSE(echo::parse_port(text).has_value());
  }
}

TEST_CASE("is_all_digits", "[endpoint]") {
  REQUIRE(echo::is_all_digits("0"));
  REQUIRE(echo::is_all_digits("9999"));
  REQUIRE(echo::is_all_digits("123456789012345678901234567890"));
  REQUIRE_FALSE(echo::is_all_digits(""));
  REQUIRE_FALSE(echo::is_all_digits("12a"));
  REQUIRE_FALSE(echo::is_all_digits("-1"));
  REQUIRE_FALSE(echo::is_all_digits("::1"));
}

TEST_CASE("strip_brackets removes one surrounding pair only", "[endpoint]") {
  struct strip_case {
    std::string_view in;
    std::string_view out;
  };
  const std::vector<strip_case> cases = {
      {"[::1]", "::1"}, {"::1", "::1"},       {"[]", ""},       {"[", "["},
      {"]", "]"},       {"[::1", "[::1"},     {"::1]", "::1]"}, {"127.0.0.1", "127.0.0.1"},
      {"", ""},         {"[[::1]]", "[::1]"},
  };
  for (const auto& c : cases) {
    INFO("'" << c.in << "'");
    REQUIRE(echo::strip_brackets(c.in) == c.out);
  }
}

TEST_CASE("parse_address accepts IP literals", "[endpoint]") {
  struct address_case {
    std::string_view text;
    std::string shown;
    bool is_v6;
  };
  const std::vector<address_case> cases = {
      {"127.0.0.1", "127.0.0.1", false},
      {"0.0.0.0", "0.0.0.0", false},
      {"255.255.255.255", "255.255.255.255", false},
      {"::1", "::1", true},
      {"[::1]", "::1", true},
      {"::", "::", true},
      {"2001:db8::42", "2001:db8::42", true},
      {"[2001:db8::42]", "2001:db8::42", true},
      {"::ffff:127.0.0.1", "::ffff:127.0.0.1", true},
  };
  for (const auto& c : cases) {
    INFO("'" << c.text << "'");
    const auto address = echo::parse_address(c.text);
    REQUIRE(address.has_value());
    REQUIRE(address->to_string() == c.shown);
    REQUIRE(address->is_v6() == c.is_v6);
  }
}

TEST_CASE("parse_address rejects what is not an IP literal", "[endpoint]") {
  for (const std::string_view text :
       {"999.1.1.1", "1.2.3", "1.2.3.4.5", "::g", "localhost", "", "[]", "[::1", "0x10",
        "2130706433", " 127.0.0.1", "1.2.3.4 ", "::1::2"}) {
    INFO("'" << text << "'");
    REQUIRE_FALSE(echo::parse_address(text).has_value());
  }
}

TEST_CASE("resolve_address: literals as they are and names looked up", "[endpoint]") {
  std::string error;

  SECTION("IP literals need no lookup") {
    const auto v4 = echo::resolve_address("127.0.0.1", error);
    REQUIRE(v4.has_value());
    REQUIRE(*v4 == ip::make_address("127.0.0.1"));
    const auto v6 = echo::resolve_address("[::1]", error);
    REQUIRE(v6.has_value());
    REQUIRE(*v6 == ip::make_address("::1"));
    REQUIRE(error.empty());
  }
  SECTION("localhost resolves to a loopback address") {
    const auto address = echo::resolve_address("localhost", error);
    INFO("error: " << error);
    REQUIRE(address.has_value());
    REQUIRE(address->is_loopback());
  }
  SECTION("a name under .invalid does not resolve, and says why") {
    const auto address = echo::resolve_address("nope.invalid", error);
    REQUIRE_FALSE(address.has_value());
    REQUIRE(error == "not an IP address and it does not resolve");
  }
  SECTION("an empty host is refused without a lookup") {
    REQUIRE_FALSE(echo::resolve_address("", error).has_value());
    REQUIRE(error == "empty host");
  }
}

TEST_CASE("format_endpoint: 127.0.0.1:8888 and [::1]:8888 with v4-mapped shown as IPv4",
          "[endpoint]") {
  struct format_case {
    std::string_view address;
    std::uint16_t port;
    std::string shown;
  };
  const std::vector<format_case> cases = {
      {"127.0.0.1", 8888, "127.0.0.1:8888"},
      {"0.0.0.0", 0, "0.0.0.0:0"},
      {"::1", 8888, "[::1]:8888"},
      {"::", 65535, "[::]:65535"},
      {"2001:db8::42", 443, "[2001:db8::42]:443"},
      {"::ffff:127.0.0.1", 40000, "127.0.0.1:40000"},
      {"::ffff:10.1.2.3", 1, "10.1.2.3:1"},
  };
  for (const auto& c : cases) {
    INFO(c.address << " port " << c.port);
    const auto address = ip::make_address(std::string(c.address));
    REQUIRE(echo::format_endpoint(address, c.port) == c.shown);
    REQUIRE(echo::format_endpoint(ip::tcp::endpoint(address, c.port)) == c.shown);
  }
}

TEST_CASE("invalid_port_message wording", "[endpoint]") {
  REQUIRE(echo::invalid_port_message("70000") ==
          "invalid port '70000': expected a number from 0 to 65535");
  REQUIRE(echo::invalid_port_message("") == "invalid port '': expected a number from 0 to 65535");
}

TEST_CASE("defaults", "[endpoint]") {
  REQUIRE(echo::default_port == 8888);
  REQUIRE(echo::default_host == "127.0.0.1");
}

// getaddrinfo alone would read inet_aton shorthands as some other address ("1.2.3" -> 1.2.0.3,
// "127.1" -> 127.0.0.1, "2130706433" -> 127.0.0.1).
TEST_CASE("resolve_address refuses malformed IPv4 literals", "[endpoint]") {
  for (const std::string_view text : {"1.2.3", "127.1", "0x7f.1", "2130706433"}) {
    std::string error;
    const auto address = echo::resolve_address(text, error);
    INFO("'" << text << "' -> " << (address ? address->to_string() : "nothing"));
    CHECK_FALSE(address.has_value());
  }
}

TEST_CASE("parse_port_or_throw: the port, or a usage_error worded by invalid_port_message",
          "[endpoint]") {
  CHECK(echo::parse_port_or_throw("0") == 0);
  CHECK(echo::parse_port_or_throw("8888") == 8888);
  CHECK(echo::parse_port_or_throw("65535") == 65535);
  for (const std::string_view text : {"70000", "abc", "", "-1", " 80", "65536", "8\n8"}) {
    INFO("'" << text << "'");
    CHECK_THROWS_MATCHES(echo::parse_port_or_throw(text), echo::usage_error,
                         Catch::Message(echo::invalid_port_message(text)));
  }
}

TEST_CASE("apply_host_port_arguments: positionals over --host and --port", "[endpoint]") {
  struct apply_case {
    std::vector<std::string> arguments;
    bool is_host_flag_given;
    bool is_port_flag_given;
    std::string host;  // after: the flags' values going in are "127.0.0.1" and "8888"
    std::string port;
  };
  const std::vector<apply_case> cases = {
      {{}, false, false, "127.0.0.1", "8888"},
      {{}, true, true, "127.0.0.1", "8888"},
      {{"::1"}, false, false, "::1", "8888"},
      {{"localhost"}, false, true, "localhost", "8888"},
      {{"9999"}, false, false, "127.0.0.1", "9999"},  // a lone all-digit argument is a port
      {{"9999"}, true, false, "127.0.0.1", "9999"},
      {{"0"}, false, false, "127.0.0.1", "0"},
      {{"70000"}, false, false, "127.0.0.1", "70000"},  // validated later, by parse_port_or_throw
      {{"::1", "7000"}, false, false, "::1", "7000"},
      {{"10.0.0.1", "http"}, false, false, "10.0.0.1", "http"},
      {{"1234", "5678"}, false, false, "1234", "5678"},  // two arguments: HOST then PORT
      // An empty argument counts as given: `echo-client host "$PORT"` with PORT unset must not
      // fall back to the default port.
      {{"127.0.0.1", ""}, false, false, "127.0.0.1", ""},
      {{""}, false, false, "", "8888"},
  };
  for (const auto& c : cases) {
    INFO(Catch::Detail::stringify(c.arguments)
         << " host flag " << c.is_host_flag_given << ", port flag " << c.is_port_flag_given);
    std::string host = "127.0.0.1";
    std::string port = "8888";
    echo::apply_host_port_arguments(c.arguments, c.is_host_flag_given, c.is_port_flag_given, host,
                                    port);
    CHECK(host == c.host);
    CHECK(port == c.port);
  }
}

TEST_CASE("apply_host_port_arguments: too many, or given twice, is a usage_error", "[endpoint]") {
  struct error_case {
    std::vector<std::string> arguments;
    bool is_host_flag_given;
    bool is_port_flag_given;
    std::string message;
  };
  const std::vector<error_case> cases = {
      {{"a", "b", "c"},
       false,
       false,
       "too many arguments: expected at most HOST and PORT, got 'c'"},
      {{"a", "1", "2", "3"},
       false,
       false,
       "too many arguments: expected at most HOST and PORT, got '2'"},
      {{"::1"}, true, false, "host given twice: as --host and as an argument"},
      {{"::1", "80"}, true, false, "host given twice: as --host and as an argument"},
      {{"80"}, false, true, "port given twice: as --port and as an argument"},
      {{"::1", "80"}, false, true, "port given twice: as --port and as an argument"},
      {{"127.0.0.1", ""}, false, true, "port given twice: as --port and as an argument"},
  };
  for (const auto& c : cases) {
    INFO(Catch::Detail::stringify(c.arguments)
         << " host flag " << c.is_host_flag_given << ", port flag " << c.is_port_flag_given);
    std::string host = "127.0.0.1";
    std::string port = "8888";
    CHECK_THROWS_MATCHES(echo::apply_host_port_arguments(c.arguments, c.is_host_flag_given,
                                                         c.is_port_flag_given, host, port),
                         echo::usage_error, Catch::Message(c.message));
  }
}
