// --source: lists and ranges of local addresses, round-robin, the churn default, and the exact
// one-line wording (exit 2) of each bad form.

#include "client/client_options.hpp"
#include "client/source_addresses.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

using boost::asio::ip::make_address;
using echo::source_addresses;

namespace {

std::vector<std::string> all_of(const source_addresses& s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size(); ++i) out.push_back(s.at(i).to_string());
  return out;
}

// echo-client's usage line for `args`, or "parsed" when they parse.
std::string usage_of(std::vector<const char*> args) {
  args.insert(args.begin(), "echo-client");
  const auto result = echo::parse_client_options(static_cast<int>(args.size()), args.data(), false);
  const auto* exit = std::get_if<echo::early_exit>(&result);
  if (exit == nullptr) return "parsed";
  CHECK(exit->code == echo::exit_code::usage);
  return exit->text;
}

std::string usage_line(const std::string& what) {
  return "echo-client: " + what + " (try 'echo-client --help')\n";
}

}  // namespace

TEST_CASE("source_addresses: lists and ranges, round-robin", "[unit][client_options]") {
  CHECK(all_of(source_addresses::parse("127.0.0.2,127.0.0.3")) ==
        std::vector<std::string>{"127.0.0.2", "127.0.0.3"});
  CHECK(all_of(source_addresses::parse("127.0.0.1-127.0.0.4")) ==
        std::vector<std::string>{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"});
  CHECK(all_of(source_addresses::parse("10.0.0.254-10.0.1.1,127.0.0.9-10")) ==
        std::vector<std::string>{"10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1", "127.0.0.9",
                                 "127.0.0.10"});
  CHECK(all_of(source_addresses::parse("fd00::ffff-fd00::1:1")) ==
        std::vector<std::string>{"fd00::ffff", "fd00::1:0", "fd00::1:1"});
  CHECK(all_of(source_addresses::parse("::1")) == std::vector<std::string>{"::1"});

  const source_addresses s = source_addresses::parse("127.0.0.1-127.0.0.3");
  CHECK(s.at(3) == make_address("127.0.0.1"));  // round-robin
  CHECK(s.at(7) == make_address("127.0.0.2"));
  CHECK(source_addresses::parse("0.0.0.0-0.0.255.255").size() == source_addresses::max_count);
}

TEST_CASE("source_addresses: describe gives each range in its shortest form",
          "[unit][client_options]") {
  CHECK(source_addresses::parse("127.0.0.1-16").describe() == "127.0.0.1-127.0.0.16");
  CHECK(source_addresses::parse("127.0.0.2,127.0.0.3").describe() == "127.0.0.2,127.0.0.3");
  CHECK(source_addresses::parse("127.0.0.2-127.0.0.2").describe() == "127.0.0.2");
  CHECK(source_addresses::parse("[::1]").describe() == "::1");
}

TEST_CASE("source_addresses: churn's default is 16 loopback sources for an IPv4 loopback server",
          "[unit][client_options]") {
  CHECK(source_addresses::churn_default(make_address("127.0.0.1")).describe() ==
        "127.0.0.1-127.0.0.16");
  CHECK(source_addresses::churn_default(make_address("127.0.0.1")).size() == 16);
  CHECK(source_addresses::churn_default(make_address("::1")).empty());
  CHECK(source_addresses::churn_default(make_address("192.0.2.1")).empty());
}

TEST_CASE("source_addresses: --source parses into the options", "[unit][client_options]") {
  const char* args[] = {"echo-client", "--source", "127.0.0.2,127.0.0.3", "-m", "x"};
  const auto result = echo::parse_client_options(5, args, false);
  REQUIRE(std::holds_alternative<echo::client_options>(result));
  CHECK(std::get<echo::client_options>(result).sources.size() == 2);
  CHECK(usage_of({"--bench", "--histogram", "h.txt"}) == "parsed");
  CHECK(usage_of({"-H", "::1", "--source", "::2", "-m", "x"}) == "parsed");
}

TEST_CASE("source_addresses: each bad form is one usage line", "[unit][client_options]") {
  struct bad {
    std::vector<const char*> args;
    std::string text;
  };
  const std::vector<bad> cases = {
      {{"--source", "1.2.3"}, usage_line("invalid --source '1.2.3': '1.2.3' is not an IP address")},
      {{"--source", ""}, usage_line("invalid --source '': an empty address")},
      {{"--source", "127.0.0.1,"}, usage_line("invalid --source '127.0.0.1,': an empty address")},
      {{"--source", "127.0.0.5-127.0.0.1"},
       usage_line("invalid --source '127.0.0.5-127.0.0.1': the range '127.0.0.5-127.0.0.1' runs "
                  "backwards")},
      {{"--source", "127.0.0.5-2"},
       usage_line("invalid --source '127.0.0.5-2': the range '127.0.0.5-2' runs backwards")},
      {{"--source", "127.0.0.1-x"},
       usage_line("invalid --source '127.0.0.1-x': 'x' is not an IP "
                  "address")},
      {{"--source", "10.0.0.0-10.1.0.0"},
       usage_line("invalid --source '10.0.0.0-10.1.0.0': more than 65536 addresses")},
      {{"--source", "fd00::-fd00::1:0"},
       usage_line("invalid --source 'fd00::-fd00::1:0': more than 65536 addresses")},
      {{"--source", "127.0.0.1,::1"},
       usage_line("invalid --source '127.0.0.1,::1': IPv4 and IPv6 addresses mixed")},
      {{"--source", "127.0.0.1-::1"},
       usage_line("invalid --source '127.0.0.1-::1': IPv4 and IPv6 addresses mixed")},
      {{"--source", "::1"}, usage_line("--source ::1 is IPv6 but the server 127.0.0.1 is IPv4")},
      {{"-H", "::1", "--source", "127.0.0.2"},
       usage_line("--source 127.0.0.2 is IPv4 but the server ::1 is IPv6")},
      {{"--histogram", "h.txt"}, usage_line("--histogram needs --bench")},
      {{"--bench", "--histogram", ""}, usage_line("invalid --histogram '': empty")},
  };
  for (const bad& c : cases) {
    INFO(c.args[0] << " " << c.args[1]);
    CHECK(usage_of(c.args) == c.text);
  }
}
