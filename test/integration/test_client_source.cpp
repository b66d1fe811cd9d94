// echo-client --source against the real server: each connection and datagram comes from one of
// the given addresses, round-robin (the server's log names them), in every mode; churn with
// byte checks from several sources, and churn's default of 16 loopback sources; a source not on
// this host is the connect error's one line; --histogram writes HdrHistogram's text.

#include "support/echo_client.hpp"
#include "support/running_server.hpp"
#include "support/udp_client.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

std::string field_text(const std::string& json, const std::string& name) {
  const std::regex pattern("\"" + name + "\": (\"[^\"]*\"|[0-9.]+|null)");
  std::smatch match;
  REQUIRE(std::regex_search(json, match, pattern));
  return match[1];
}

double field(const std::string& json, const std::string& name) {
  return std::stod(field_text(json, name));
}

std::vector<std::string> churn_args(const running_server& server, std::vector<std::string> extra) {
  std::vector<std::string> args = {"-p",         std::to_string(server.port()),
                                   "--bench",    "--churn",
                                   "--duration", "0.5",
                                   "--warmup",   "0.1",
                                   "--json",     "--connections",
                                   "4"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

TEST_CASE("client source: the server logs connections from each --source address",
          "[integration][client][source]") {
  running_server server({"-v"});
  const std::string port = std::to_string(server.port());
  SECTION("one message per connection, round-robin over the bench's connections") {
    const run_result r =
        run_client({"-p", port, "--source", "127.0.0.2,127.0.0.3", "--bench", "--connections", "4",
                    "--duration", "0.3", "--warmup", "0", "--json"},
                   {}, deadline::in(std::chrono::seconds(20)));
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(field(r.out, "mismatches") == 0);
    CHECK(field(r.out, "sources") == 2);
    CHECK(field_text(r.out, "source_addresses") == "\"127.0.0.2,127.0.0.3\"");
    CHECK(server.wait_for_log_count("connection from 127.0.0.2:", 3));  // the probe and two flows
    CHECK(server.wait_for_log_count("connection from 127.0.0.3:", 2));
    CHECK(count_occurrences(server.log(), "connection from 127.0.0.1:") == 0);
  }
  SECTION("-m, pipe mode and --test") {
    run_result r = run_client({"-p", port, "--source", "127.0.0.4", "-m", "hi"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "hi\n");
    r = run_client({"-p", port, "--source", "127.0.0.5-127.0.0.6"}, "piped\n");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "piped\n");
    r = run_client({"-p", port, "--source", "127.0.0.7", "--test"}, {},
                   deadline::in(std::chrono::seconds(30)));
    CHECK(r.exit_code == 0);
    CHECK(server.wait_for_log("connection from 127.0.0.4:"));
    CHECK(server.wait_for_log("connection from 127.0.0.5:"));
    CHECK(server.wait_for_log("connection from 127.0.0.7:"));
    CHECK(count_occurrences(server.log(), "connection from 127.0.0.1:") == 0);
  }
}

TEST_CASE("client source: UDP datagrams come from the --source address",
          "[integration][client][source][udp]") {
  running_server server({"-v", "--udp"});
  const run_result r =
      run_client({"-u", "-p", std::to_string(server.port()), "--source", "127.0.0.8", "-m", "hi"});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "hi\n");
  CHECK(server.wait_for_log("Received from 127.0.0.8:"));
}

TEST_CASE("client source: churn over several sources checks every byte",
          "[integration][client][source][bench]") {
  running_server server({"-q"});
  SECTION("given") {
    const run_result r = run_client(churn_args(server, {"--source", "127.0.0.2-5"}), {},
                                    deadline::in(std::chrono::seconds(20)));
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(field(r.out, "msgs_per_s") > 0);
    CHECK(field(r.out, "errors") == 0);
    CHECK(field(r.out, "mismatches") == 0);
    CHECK(field(r.out, "sources") == 4);
    CHECK(field_text(r.out, "source_addresses") == "\"127.0.0.2-127.0.0.5\"");
  }
  SECTION("the default against a loopback server, said in the report") {
    run_result r = run_client(churn_args(server, {}), {}, deadline::in(std::chrono::seconds(20)));
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(field(r.out, "mismatches") == 0);
    CHECK(field(r.out, "sources") == 16);
    CHECK(field_text(r.out, "source_addresses") == "\"127.0.0.1-127.0.0.16\"");
    std::vector<std::string> text = churn_args(server, {});
    text.erase(std::find(text.begin(), text.end(), "--json"));
    r = run_client(text, {}, deadline::in(std::chrono::seconds(20)));
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("  sources      16: 127.0.0.1-127.0.0.16 (the default for --churn to a "
                     "loopback server)\n") != std::string::npos);
  }
  SECTION("no default without --churn") {
    const run_result r = run_client({"-p", std::to_string(server.port()), "--bench", "--duration",
                                     "0.2", "--warmup", "0", "--json"},
                                    {}, deadline::in(std::chrono::seconds(20)));
    CHECK(r.exit_code == 0);
    CHECK(field(r.out, "sources") == 0);
    CHECK(field_text(r.out, "source_addresses") == "null");
  }
}

TEST_CASE("client source: an address not on this host is the connect error's one line",
          "[integration][client][source]") {
  running_server server({"-q"});
  const std::string port = std::to_string(server.port());
  const std::string line = client_error("cannot connect to " + loopback(server.port()) +
                                        " from 192.0.2.1: cannot assign requested address");
  for (const std::vector<std::string>& mode :
       {std::vector<std::string>{"-m", "hi"}, std::vector<std::string>{"--test"},
        std::vector<std::string>{"--bench", "--duration", "0.2"},
        std::vector<std::string>{"-u", "-m", "hi"}}) {
    std::vector<std::string> args = {"-p", port, "--source", "192.0.2.1"};
    args.insert(args.end(), mode.begin(), mode.end());
    const run_result r = run_client(args);
    INFO(mode[0]);
    CHECK(r.exit_code == 1);
    CHECK(r.err == line);
  }
  // The probe's source is fine; a later one in the list is not: still before the run.
  const run_result r = run_client(
      {"-p", port, "--source", "127.0.0.2,192.0.2.1", "--bench", "--churn", "--duration", "5"}, {},
      deadline::in(std::chrono::seconds(4)));
  CHECK(r.exit_code == 1);
  CHECK(r.err == line);
}

TEST_CASE("client source: --histogram writes HdrHistogram's percentile text",
          "[integration][client][bench]") {
  running_server server({"-q"});
  char path[] = "/tmp/echo-test-histogram-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  const run_result r = run_client({"-p", std::to_string(server.port()), "--bench", "--duration",
                                   "0.3", "--warmup", "0", "--json", "--histogram", path},
                                  {}, deadline::in(std::chrono::seconds(20)));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path);
  INFO("stdout: " << r.out << "\nstderr: " << r.err << "\nfile:\n" << text.str());
  REQUIRE(r.exit_code == 0);
  const std::string file = text.str();
  CHECK(file.rfind("       Value   Percentile   TotalCount 1/(1-Percentile)\n\n", 0) == 0);
  CHECK(std::regex_search(file, std::regex("\n +[0-9]+\\.[0-9]{3} +0\\.500000 +[0-9]+ +2\\.00\n")));
  CHECK(std::regex_search(file, std::regex("\n +[0-9]+\\.[0-9]{3} +1\\.000000 +[0-9]+ +inf\n")));
  CHECK(std::regex_search(file, std::regex("\n#\\[Buckets = +58, SubBuckets += +128\\]\n$")));
}
