// config_layers: the server's layers below the command line (environment variables and a config
// file, each under what is already set), and the environment variable names.

#include "server/config_layers.hpp"

#include "scratch.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace po = boost::program_options;
using echo::command_line;
using echo::usage_error;

using echo::test::scoped_variable;
using echo::test::scratch_file;

// A small program's options: two settable, one switch, and --config only on the command line.
struct test_options {
  po::options_description settable;
  po::options_description command_only;
  po::options_description visible;

  test_options() {
    settable.add_options()("port", po::value<std::string>()->default_value("8888"))(
        "max-line", po::value<std::string>()->default_value("100"))("once", po::bool_switch());
    command_only.add_options()("config", po::value<std::string>())("help", "help");
    visible.add(settable).add(command_only);
  }

  command_line parse(std::vector<const char*> args) const {
    args.insert(args.begin(), "test");
    return echo::parse_command_line(static_cast<int>(args.size()), args.data(), visible);
  }
};

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const usage_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("config_layers: environment variable names", "[config_layers]") {
  CHECK(echo::environment_name("ECHO_SERVER_", "port") == "ECHO_SERVER_PORT");
  CHECK(echo::environment_name("ECHO_SERVER_", "max-line") == "ECHO_SERVER_MAX_LINE");
  CHECK(echo::environment_name("ECHO_SERVER_", "max-connections-per-ip") ==
        "ECHO_SERVER_MAX_CONNECTIONS_PER_IP");
}

TEST_CASE("config_layers: the environment fills in below the command line", "[config_layers]") {
  const test_options o;
  const scoped_variable port("ECHO_TEST_PORT", "9000");
  const scoped_variable line("ECHO_TEST_MAX_LINE", "5");
  const scoped_variable once("ECHO_TEST_ONCE", "true");
  command_line cl = o.parse({"--port", "7000"});
  echo::store_environment(cl, o.settable, "ECHO_TEST_", o.command_only);
  CHECK(cl.values["port"].as<std::string>() == "7000");
  CHECK(cl.values["max-line"].as<std::string>() == "5");
  CHECK(cl.values["once"].as<bool>());
  CHECK(cl.origins.count("port") == 0);
  CHECK(cl.origins.at("max-line") == "environment variable ECHO_TEST_MAX_LINE");
}

TEST_CASE("config_layers: an environment variable that names no option is an error",
          "[config_layers]") {
  const test_options o;
  SECTION("a typo") {
    const scoped_variable typo("ECHO_TEST_PROT", "9000");
    command_line cl = o.parse({});
    CHECK(what_of([&] { echo::store_environment(cl, o.settable, "ECHO_TEST_", o.command_only); }) ==
          "environment variable ECHO_TEST_PROT names no option");
  }
  SECTION("an option only the command line takes") {
    const scoped_variable help("ECHO_TEST_CONFIG", "x.conf");
    command_line cl = o.parse({});
    CHECK(what_of([&] { echo::store_environment(cl, o.settable, "ECHO_TEST_", o.command_only); }) ==
          "environment variable ECHO_TEST_CONFIG: --config works only on the command line");
  }
  SECTION("a bad switch value") {
    const scoped_variable once("ECHO_TEST_ONCE", "maybe");
    command_line cl = o.parse({});
    CHECK_THAT(
        what_of([&] { echo::store_environment(cl, o.settable, "ECHO_TEST_", o.command_only); }),
        Catch::StartsWith("environment variable ECHO_TEST_ONCE: the argument ('maybe')"));
  }
  SECTION("variables without the prefix are none of our business") {
    const scoped_variable other("ECHO_TESTING", "1");
    command_line cl = o.parse({});
    CHECK_NOTHROW(echo::store_environment(cl, o.settable, "ECHO_TEST_", o.command_only));
  }
}

TEST_CASE("config_layers: a config file fills in below the command line and environment",
          "[config_layers]") {
  const test_options o;
  const scratch_file file("# a comment\nport = 7000\n\n  max-line=5  \nonce = true\n");
  const scoped_variable line("ECHO_TEST_MAX_LINE", "6");
  command_line cl = o.parse({"--port", "9000"});
  echo::store_environment(cl, o.settable, "ECHO_TEST_", o.command_only);
  echo::store_config_file(cl, o.settable, file.path(), o.command_only);
  CHECK(cl.values["port"].as<std::string>() == "9000");
  CHECK(cl.values["max-line"].as<std::string>() == "6");
  CHECK(cl.values["once"].as<bool>());
  CHECK(cl.origins.at("once") == "config file '" + file.path() + "'");
  CHECK(cl.origins.at("max-line") == "environment variable ECHO_TEST_MAX_LINE");
}

TEST_CASE("config_layers: config file values may be quoted", "[config_layers]") {
  const test_options o;
  const scratch_file file("port = \" a\\x23b\\\\ \"\n");
  command_line cl = o.parse({});
  echo::store_config_file(cl, o.settable, file.path(), o.command_only);
  CHECK(cl.values["port"].as<std::string>() == " a#b\\ ");
}

TEST_CASE("config_layers: config file errors name the file and what is wrong", "[config_layers]") {
  const test_options o;
  struct error_case {
    std::string text;
    std::string error;  // after "config file 'PATH': "
  };
  const std::vector<error_case> cases = {
      {"prot = 1\n", "unrecognised option 'prot'"},
      {"help = 1\n", "--help works only on the command line"},
      {"config = other.conf\n", "--config works only on the command line"},
      {"port = 1\nport = 2\n", "option 'port' cannot be specified more than once"},
      {"just words\n", "the options configuration file contains an invalid line 'just words'"},
      {"[server]\nport = 1\n", "unrecognised option 'server.port'"},
      {"once = perhaps\n",
       "the argument ('perhaps') for option 'once' is invalid. Valid choices "
       "are 'on|off', 'yes|no', '1|0' and 'true|false'"},
      {"port = \"80\n",
       "port: missing closing quote in \"80 (# starts a comment even between quotes: write \\x23)"},
      {"port = \"8#0\"\n",
       "port: missing closing quote in \"8 (# starts a comment even between quotes: write \\x23)"},
      {"port = \"\\q\"\n", "port: unknown escape in \"\\q\": use \\\\ \\\" \\n \\r \\t or \\xHH"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const scratch_file file(c.text);
    command_line cl = o.parse({});
    CHECK(what_of([&] { echo::store_config_file(cl, o.settable, file.path(), o.command_only); }) ==
          "config file '" + file.path() + "': " + c.error);
  }
}

TEST_CASE("config_layers: a config file that cannot be read is an error", "[config_layers]") {
  const test_options o;
  command_line cl = o.parse({});
  CHECK(what_of([&] {
          echo::store_config_file(cl, o.settable, "/nonexistent/echo.conf", o.command_only);
        }) == "cannot read config file '/nonexistent/echo.conf': no such file or directory");
  const std::string directory = std::filesystem::temp_directory_path().string();
  CHECK(what_of([&] { echo::store_config_file(cl, o.settable, directory, o.command_only); }) ==
        "cannot read config file '" + directory + "': is a directory");
}

TEST_CASE("config_layers: a config file must be a regular file", "[config_layers]") {
  const test_options o;
  command_line cl = o.parse({});
  // A character device; /dev/zero, which never ends, is tried on the real server (in a child
  // process, should it ever be read again).
  CHECK(what_of([&] { echo::store_config_file(cl, o.settable, "/dev/null", o.command_only); }) ==
        "cannot read config file '/dev/null': not a regular file");
}

TEST_CASE("config_layers: a config file may hold up to max_config_file_bytes", "[config_layers]") {
  const test_options o;
  // A setting and comment lines of 64 bytes: the limit exactly, then one byte more.
  std::string text = "port = 12\n" + std::string(53, '#') + "\n";
  while (text.size() < echo::max_config_file_bytes) text += std::string(63, '#') + "\n";
  REQUIRE(text.size() == echo::max_config_file_bytes);
  {
    const scratch_file file(text);
    command_line cl = o.parse({});
    echo::store_config_file(cl, o.settable, file.path(), o.command_only);
    CHECK(cl.values["port"].as<std::string>() == "12");
  }
  const scratch_file file(text + "\n");
  command_line cl = o.parse({});
  CHECK(what_of([&] { echo::store_config_file(cl, o.settable, file.path(), o.command_only); }) ==
        "cannot read config file '" + file.path() +
            "': larger than 1 MiB, the most a config file may hold");
}
