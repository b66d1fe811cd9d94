// The command line's early exits: --help and --version print to stdout and exit 0.

#include "support/process.hpp"
#include "support/running_server.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

using namespace echo::test;

TEST_CASE("cli: --help prints the usage on stdout and exits 0", "[integration][cli]") {
  const run_result r = run_to_exit({echo_server_path(), "--help"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("Usage: echo-server [options] [HOST [PORT]]\n"));
  CHECK_THAT(r.out, Catch::Contains("--max-line"));
  CHECK(r.err.empty());
}

TEST_CASE("cli: -h wins over a bad flag on the same line", "[integration][cli]") {
  const run_result r = run_to_exit({echo_server_path(), "--bogus", "-h"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("Usage: echo-server"));
}

TEST_CASE("cli: --version prints one line on stdout and exits 0", "[integration][cli]") {
  const run_result r = run_to_exit({echo_server_path(), "--version"});
  CHECK(r.exit_code == 0);
  INFO("stdout: " << r.out);
  CHECK(std::regex_match(r.out, std::regex(R"(echo-server [0-9]+\.[0-9]+\.[0-9]+\n)")));
  CHECK(r.err.empty());
}

TEST_CASE("cli: positional HOST PORT work like --host and --port", "[integration][cli]") {
  process server({echo_server_path(), "127.0.0.1", "0"});
  CHECK(server.read_stderr_until(std::regex("listening on 127\\.0\\.0\\.1:[0-9]+ \\(reply echo\\)"),
                                 deadline::after_default()));
  server.signal(SIGTERM);
  CHECK(server.wait_exit(deadline::after_default()) == 0);
}
