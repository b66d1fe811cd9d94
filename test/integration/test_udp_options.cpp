// The options of --udp on the real echo-server: each option that cannot go with it (or without
// it) is one usage line and exit 2, whether it came from the command line, an ECHO_SERVER_
// variable or a config file; --udp and --no-tcp from the environment or a file do serve UDP;
// --print-config shows the UDP options and reads back; --help names them.

#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/scratch.hpp"
#include "support/udp_client.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

const std::string hint = " (try 'echo-server --help')\n";

struct usage_case {
  std::vector<std::string> args;
  std::string message;
};

run_result run_server(const std::vector<std::string>& args,
                      const std::vector<std::string>& environment = {}) {
  std::vector<std::string> argv = {"env"};
  argv.insert(argv.end(), environment.begin(), environment.end());
  argv.push_back(echo_server_path());
  argv.insert(argv.end(), args.begin(), args.end());
  return run_to_exit(argv);
}

void check_usage_error(const run_result& r, const std::string& message) {
  CHECK(r.exit_code == 2);
  CHECK(r.err == "echo-server: " + message + hint);
  CHECK(r.out.empty());
}

std::string write_file(const temp_dir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

const std::string tcp_only = " is about TCP connections: it means nothing with --no-tcp";
const std::string no_dtls =
    "--udp serves plain datagrams (there is no DTLS) and cannot go with --tls-cert; run a second "
    "server for UDP";

}  // namespace

TEST_CASE("udp options: what cannot go with --udp, or without it, is one usage line, exit 2",
          "[integration][udp][errors]") {
  const usage_case c = GENERATE_COPY(values<usage_case>({
      {{"--no-tcp"}, "--no-tcp needs --udp (it would serve nothing)"},
      {{"--udp-allow-low-ports"}, "--udp-allow-low-ports needs --udp"},
      {{"--udp-rate", "10"}, "--udp-rate needs --udp"},
      {{"--udp-rate-per-source", "10"}, "--udp-rate-per-source needs --udp"},
      {{"--udp", "--tls-cert", "server.pem", "--tls-key", "server.key"}, no_dtls},
      {{"--udp", "--no-tcp", "--once"}, "--once" + tcp_only},
      {{"--udp", "--no-tcp", "--max-line", "100"}, "--max-line" + tcp_only},
      {{"--udp", "--no-tcp", "--message-wait", "10"}, "--message-wait" + tcp_only},
      {{"--udp", "--no-tcp", "--max-connections", "5"}, "--max-connections" + tcp_only},
      {{"--udp", "--no-tcp", "--max-connections-per-ip", "5"},
       "--max-connections-per-ip" + tcp_only},
      {{"--udp", "--no-tcp", "--idle-timeout", "5"}, "--idle-timeout" + tcp_only},
      {{"--udp", "--no-tcp", "--write-timeout", "5"}, "--write-timeout" + tcp_only},
      {{"--udp", "--no-tcp", "--handshake-timeout", "5"}, "--handshake-timeout" + tcp_only},
      {{"--udp", "--no-tcp", "--max-handshakes", "5"}, "--max-handshakes" + tcp_only},
      {{"--udp", "--no-tcp", "--proxy-protocol"}, "--proxy-protocol" + tcp_only},
  }));
  INFO("echo-server " << Catch::Detail::stringify(c.args));
  check_usage_error(run_server(c.args), c.message);
}

TEST_CASE("udp options: the same usage errors from ECHO_SERVER_ variables and a config file",
          "[integration][udp][errors][config]") {
  const temp_dir dir("udp-options");
  SECTION("ECHO_SERVER_UDP with --tls-cert") {
    check_usage_error(
        run_server({"--tls-cert", "server.pem", "--tls-key", "server.key"}, {"ECHO_SERVER_UDP=1"}),
        "environment variable ECHO_SERVER_UDP: " + no_dtls);
  }
  SECTION("ECHO_SERVER_NO_TCP alone") {
    check_usage_error(run_server({}, {"ECHO_SERVER_NO_TCP=true"}),
                      "environment variable ECHO_SERVER_NO_TCP: --no-tcp needs --udp (it would "
                      "serve nothing)");
  }
  SECTION("udp = true in a file with --tls-cert") {
    const std::string file = write_file(dir, "echo.conf", "udp = true\n");
    check_usage_error(
        run_server({"--config", file, "--tls-cert", "server.pem", "--tls-key", "server.key"}),
        "config file '" + file + "': " + no_dtls);
  }
  SECTION("udp-rate in a file without udp") {
    const std::string file = write_file(dir, "echo.conf", "udp-rate = 5\n");
    check_usage_error(run_server({"--config", file}),
                      "config file '" + file + "': --udp-rate needs --udp");
  }
  SECTION("a TCP-only option from the file with --no-tcp from the environment") {
    const std::string file = write_file(dir, "echo.conf", "udp = true\nonce = true\n");
    check_usage_error(run_server({"--config", file}, {"ECHO_SERVER_NO_TCP=true"}),
                      "config file '" + file + "': --once" + tcp_only);
  }
}

TEST_CASE("udp options: ECHO_SERVER_UDP and udp = true in a config file serve UDP",
          "[integration][udp][config]") {
  SECTION("environment") {
    running_server server({}, {"env", "ECHO_SERVER_UDP=true"});
    CHECK_THAT(server.log(), Catch::Contains(" (TCP and UDP, reply echo)\n"));
    udp_client client = udp_client::connect(server.host(), server.port());
    client.send("from the environment\n");
    CHECK(client.receive() == "from the environment\n");
  }
  SECTION("config file") {
    const temp_dir dir("udp-options");
    const std::string file =
        write_file(dir, "echo.conf", "udp = true\nno-tcp = true\nreply = ack\n");
    running_server server({"--config", file});
    CHECK_THAT(server.log(), Catch::Contains(" (UDP only, reply ack)\n"));
    udp_client client = udp_client::connect(server.host(), server.port());
    client.send("from the file\r\n");
    CHECK(client.receive() == "ACK!\r\n");
  }
}

TEST_CASE("udp options: --print-config shows the UDP options and reads back the same",
          "[integration][udp][config]") {
  const run_result defaults = run_server({"--print-config"});
  REQUIRE(defaults.exit_code == 0);
  CHECK_THAT(defaults.out, Catch::Contains("\nudp = false\nno-tcp = false\nudp-allow-low-ports = "
                                           "false\nudp-rate = 0\nudp-rate-per-source = 0\n"));

  const run_result first = run_server({"--udp", "--no-tcp", "--udp-allow-low-ports", "--udp-rate",
                                       "1000", "--udp-rate-per-source", "10", "--print-config"});
  INFO("stderr: " << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.err.empty());
  CHECK_THAT(first.out, Catch::Contains("\nudp = true\nno-tcp = true\nudp-allow-low-ports = "
                                        "true\nudp-rate = 1000\nudp-rate-per-source = 10\n"));
  // Every TCP-only option is printed at its default, so the UDP-only file is accepted back.
  const temp_dir dir("udp-options");
  const std::string file = write_file(dir, "echo.conf", first.out);
  const run_result second = run_server({"--config", file, "--print-config"});
  INFO("stderr: " << second.err);
  CHECK(second.exit_code == 0);
  CHECK(second.out == first.out);
}

TEST_CASE("udp options: --help names --udp and --no-tcp and says what does not apply to UDP",
          "[integration][udp][cli]") {
  const run_result r = run_server({"--help"});
  REQUIRE(r.exit_code == 0);
  // Help text wraps anywhere: compare with every run of white space made one space.
  const std::string help = std::regex_replace(r.out, std::regex("\\s+"), " ");
  CHECK_THAT(help, Catch::Contains("--udp also serve UDP on the same address and port"));
  CHECK_THAT(help, Catch::Contains("--once and --max-line do not apply to it"));
  CHECK_THAT(help, Catch::Contains("--no-tcp with --udp: serve UDP only"));
  CHECK_THAT(help, Catch::Contains("--udp-allow-low-ports") && Catch::Contains("--udp-rate N") &&
                       Catch::Contains("--udp-rate-per-source N"));
}
