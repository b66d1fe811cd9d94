// echo-client --bench against the real server: every mode measures something and checks every
// byte, --json is one object with the documented fields, and a server that does not echo is
// caught as mismatches (exit 1).

#include "support/echo_client.hpp"
#include "support/running_server.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

std::vector<std::string> bench_args(const running_server& server, std::vector<std::string> extra) {
  std::vector<std::string> args = {
      "-p",    std::to_string(server.port()), "--bench", "--duration", "0.5", "--warmup", "0.2",
      "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

double field(const std::string& json, const std::string& name) {
  const std::regex pattern("\"" + name + "\": ([0-9.]+)");
  std::smatch match;
  REQUIRE(std::regex_search(json, match, pattern));
  return std::stod(match[1]);
}

}  // namespace

TEST_CASE("client bench: each load shape echoes with no error and reports its figures",
          "[integration][client][bench]") {
  running_server server({"-q"});
  const auto shape = GENERATE(as<std::vector<std::string>>{}, std::vector<std::string>{},
                              std::vector<std::string>{"--connections", "20"},
                              std::vector<std::string>{"--connections", "5", "--depth", "16"},
                              std::vector<std::string>{"--size", "65536", "--depth", "2"},
                              std::vector<std::string>{"--churn", "--connections", "2"},
                              std::vector<std::string>{"--connections", "10", "--rate", "2000"});
  const run_result r =
      run_client(bench_args(server, shape), {}, deadline::in(std::chrono::seconds(20)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* name : {"msgs_per_s", "mb_per_s", "p50_us", "p90_us", "p99_us", "p999_us",
                           "max_us", "errors", "mismatches"}) {
    INFO(name);
    CHECK(field(r.out, name) >= 0);
  }
  CHECK(field(r.out, "msgs_per_s") > 0);
  CHECK(field(r.out, "errors") == 0);
  CHECK(field(r.out, "mismatches") == 0);
  CHECK(field(r.out, "p50_us") <= field(r.out, "p99_us"));
  CHECK(field(r.out, "p99_us") <= field(r.out, "max_us"));
  CHECK(count_occurrences(r.out, "\n") == 1);
}

TEST_CASE("client bench: open loop holds the requested rate", "[integration][client][bench]") {
  running_server server({"-q"});
  const run_result r = run_client(bench_args(server, {"--connections", "4", "--rate", "4000"}), {},
                                  deadline::in(std::chrono::seconds(20)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  // Scheduled sends: the measured rate is the asked one, give or take edge effects.
  CHECK(field(r.out, "msgs_per_s") > 3600);
  CHECK(field(r.out, "msgs_per_s") < 4400);
}

TEST_CASE("client bench: a server that does not echo is caught as mismatches",
          "[integration][client][bench]") {
  running_server server({"-q", "--reply", "prefix"});
  const run_result r =
      run_client(bench_args(server, {"--size", "16"}), {}, deadline::in(std::chrono::seconds(20)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 1);
  CHECK(field(r.out, "mismatches") >= 1);
}

TEST_CASE("client bench: the human report names what it measured", "[integration][client][bench]") {
  running_server server({"-q"});
  std::vector<std::string> args = bench_args(server, {"--connections", "3"});
  args.erase(std::find(args.begin(), args.end(), "--json"));
  const run_result r = run_client(args, {}, deadline::in(std::chrono::seconds(20)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("3 connections x 64 B, closed loop, depth 1") != std::string::npos);
  CHECK(r.out.find("messages/s") != std::string::npos);
  CHECK(r.out.find("latency us   p50 ") != std::string::npos);
  CHECK(r.out.find("errors 0  mismatches 0") != std::string::npos);
}

TEST_CASE("client bench: a dead server is the usual refused error",
          "[integration][client][bench]") {
  std::uint16_t port = 0;
  {
    running_server server({"-q"});
    port = server.port();
  }
  const run_result r = run_client({"-p", std::to_string(port), "--bench", "--duration", "0.5"});
  CHECK(r.exit_code == 3);
  CHECK(r.err == client_error("cannot connect to " + loopback(port) +
                              ": connection refused (is the server running?)"));
}
