// Every way the server refuses to run: usage errors exit 2 with exactly one line on stderr;
// runtime failures (address in use, permission denied) exit 1 with one "error:" log line.

#include "support/child.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

struct usage_case {
  std::vector<std::string> args;
  std::string stderr_line;
};

// The log line of a setup failure, timestamp and all, as the whole of stderr.
std::regex error_log_line(const std::string& message) {
  return std::regex(R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z error: )" +
                    regex_escape(message) + "\n");
}

int unprivileged_port_start() {
  std::ifstream in("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  int start = 1024;
  in >> start;
  return start;
}

}  // namespace

TEST_CASE("errors: usage errors exit 2 with one line on stderr", "[integration][errors]") {
  const std::string hint = " (try 'echo-server --help')\n";
  const usage_case c = GENERATE_COPY(values<usage_case>({
      {{"--port", "70000"},
       "echo-server: invalid port '70000': expected a number from 0 to 65535" + hint},
      {{"--port", "abc"},
       "echo-server: invalid port 'abc': expected a number from 0 to 65535" + hint},
      {{"127.0.0.1", "70000"},
       "echo-server: invalid port '70000': expected a number from 0 to 65535" + hint},
      {{"--bogus"}, "echo-server: unrecognised option '--bogus'" + hint},
      {{"--host", "nope.invalid"},
       "echo-server: invalid host 'nope.invalid': not an IP address and it does not resolve" +
           hint},
      {{"--reply", "shout"},
       "echo-server: invalid --reply 'shout': expected echo, prefix or ack" + hint},
      {{"--max-line", "0"},
       "echo-server: invalid --max-line '0': expected a number of bytes, at least 1" + hint},
      {{"--message-wait", "60001"},
       "echo-server: invalid --message-wait '60001': expected milliseconds from 0 to 60000" + hint},
      {{"-v", "-q"}, "echo-server: --verbose and --quiet cannot be used together" + hint},
  }));
  std::vector<std::string> argv{echo_server_path()};
  argv.insert(argv.end(), c.args.begin(), c.args.end());
  const run_result r = run_to_exit(argv);
  INFO("echo-server " << Catch::Detail::stringify(c.args));
  CHECK(r.exit_code == 2);
  CHECK(r.err == c.stderr_line);
  CHECK(r.out.empty());
}

TEST_CASE("errors: a port already in use exits 1 naming the address", "[integration][errors]") {
  running_server first;
  const std::string port = std::to_string(first.port());
  const run_result second = run_to_exit({echo_server_path(), "--port", port});
  CHECK(second.exit_code == 1);
  INFO("stderr: " << second.err);
  CHECK(std::regex_match(second.err,
                         error_log_line("address 127.0.0.1:" + port + " already in use")));
  // The first server is untouched by the attempt.
  CHECK_FALSE(first.proc().wait_exit(deadline::in({})).has_value());
}

TEST_CASE("errors: a port below 1024 without privileges exits 1 with permission denied",
          "[integration][errors]") {
  if (unprivileged_port_start() <= 80) {
    WARN("skipped: net.ipv4.ip_unprivileged_port_start is "
         << unprivileged_port_start() << ", so anyone may listen on port 80 here");
    return;
  }
  std::vector<std::string> argv;
  if (::geteuid() == 0) {
    // Root may listen anywhere: run the server as nobody, without any capability.
    if (!find_program("setpriv")) {
      WARN("skipped: running as root and setpriv (util-linux) is not installed to drop root");
      return;
    }
    argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  }
  argv.insert(argv.end(), {echo_server_path(), "--port", "80"});
  const run_result r = run_to_exit(argv);
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 1);
  CHECK(std::regex_match(r.err, error_log_line("permission denied to listen on 127.0.0.1:80 "
                                               "(ports below 1024 need root or "
                                               "CAP_NET_BIND_SERVICE)")));
}
