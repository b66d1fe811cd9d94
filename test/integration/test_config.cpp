// --config FILE, ECHO_SERVER_* variables and --print-config on the real echo-server: settings from
// a file and from the environment change what the server does, the command line wins over both,
// --print-config reads back as the same config file, and bad input is one usage line, exit 2.

#include "server/config_layers.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/scratch.hpp"
#include "support/tcp_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

using namespace echo::test;

namespace {

// A config file in the temporary directory, removed at the end of the test.
class config_file {
 public:
  explicit config_file(const std::string& text) {
    static int made = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("echo-test-config-" + std::to_string(::getpid()) + "-" + std::to_string(++made) +
              ".conf"))
                .string();
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~config_file() { std::remove(path_.c_str()); }
  config_file(const config_file&) = delete;
  config_file& operator=(const config_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Sends one line and returns the reply line.
std::string ask(const running_server& server, const std::string& line) {
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all(line + "\n");
  return client.read_until("\n").data;
}

// `env NAME=VALUE...` in front of the server: its environment and nothing else changed.
std::vector<std::string> with_environment(const std::vector<std::string>& variables) {
  std::vector<std::string> wrapper = {"env"};
  wrapper.insert(wrapper.end(), variables.begin(), variables.end());
  return wrapper;
}

void check_usage_error(const run_result& r, const std::string& text) {
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::StartsWith("echo-server: ") && Catch::Contains(text) &&
                        Catch::EndsWith(" (try 'echo-server --help')\n"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

}  // namespace

TEST_CASE("config: a --config file sets the server's options", "[integration][config]") {
  // Its port is overridden by running_server's --port 0: the command line wins.
  const config_file file(
      "# an echo-server config file\n"
      "port = 1\n"
      "reply = prefix\n"
      "prefix = \"Hi \\x23 there: \"  # a # between quotes would start a comment\n"
      "max-connections-per-ip = 3\n");
  running_server server({"--config", file.path()});
  CHECK(server.log().find("(reply prefix)") != std::string::npos);
  CHECK(ask(server, "hello") == "Hi # there: hello\n");
  // The capacity line follows the listening line; the log is read as it comes.
  CHECK(server.wait_for_log(", 3 per address"));
}

TEST_CASE("config: ECHO_SERVER_ variables set options, between the command line and the file",
          "[integration][config]") {
  const config_file file("reply = prefix\nack = FROM-FILE\nmax-line = 3\n");
  // The environment's port would fail to bind (below 1024, or taken): --port 0 must win.
  running_server server({"--config", file.path()},
                        with_environment({"ECHO_SERVER_PORT=1", "ECHO_SERVER_REPLY=ack",
                                          "ECHO_SERVER_MAX_LINE=100"}));
  CHECK(server.log().find("(reply ack)") != std::string::npos);
  CHECK(ask(server, "a line longer than the file's three bytes") == "FROM-FILE\n");
}

TEST_CASE("config: a switch in a file or the environment", "[integration][config]") {
  const config_file file("reply = ack\nonce = true\n");
  running_server server({"--config", file.path()});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all("one\n");
  const read_result r = client.read_until_eof();
  CHECK(r.data == "ACK!\n");
  CHECK(r.is_eof);  // --once from the file

  running_server quiet({}, with_environment({"ECHO_SERVER_QUIET=true"}));
  CHECK(ask(quiet, "x") == "x\n");
  CHECK(quiet.stop() == 0);
  CHECK(quiet.log().find("connection from") == std::string::npos);  // info lines are gone
  CHECK(quiet.log().find("listening on") != std::string::npos);
}

TEST_CASE("config: --print-config prints a config file that reads back the same",
          "[integration][config]") {
  const run_result first =
      run_to_exit({echo_server_path(), "0.0.0.0", "9999", "--reply", "prefix", "--prefix",
                   " # odd \"prefix\"\t", "--proxy-protocol", "--stats-interval", "5", "--tls-cert",
                   "server.pem", "--tls-key", "server.key", "--print-config"});
  INFO("stderr: " << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.err.empty());
  CHECK_THAT(first.out, Catch::StartsWith("host = 0.0.0.0\nport = 9999\nreply = prefix\n"));
  CHECK_THAT(first.out, Catch::Contains("\nproxy-protocol = true\n") &&
                            Catch::Contains("\nstats-interval = 5\n") &&
                            Catch::Contains("\ntls-cert = server.pem\n"));
  const config_file file(first.out);
  const run_result second =
      run_to_exit({echo_server_path(), "--config", file.path(), "--print-config"});
  CHECK(second.exit_code == 0);
  CHECK(second.out == first.out);
}

TEST_CASE("config: --print-config shows what the environment and the file set",
          "[integration][config]") {
  const config_file file("idle-timeout = 7\nwrite-timeout = 8\n");
  const run_result r = run_to_exit({"env", "ECHO_SERVER_WRITE_TIMEOUT=9", echo_server_path(),
                                    "--config", file.path(), "--print-config"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out,
             Catch::Contains("\nidle-timeout = 7\n") && Catch::Contains("\nwrite-timeout = 9\n"));
}

TEST_CASE("config: a bad config file is one usage line naming it, exit 2",
          "[integration][config]") {
  check_usage_error(run_to_exit({echo_server_path(), "--config", "/nonexistent/echo.conf"}),
                    "cannot read config file '/nonexistent/echo.conf': no such file or directory");
  const config_file unknown("port = 0\nreplies = ack\n");
  check_usage_error(run_to_exit({echo_server_path(), "--config", unknown.path()}),
                    "config file '" + unknown.path() + "': unrecognised option 'replies'");
  const config_file bad_value("max-line = lots\n");
  check_usage_error(run_to_exit({echo_server_path(), "--config", bad_value.path()}),
                    "config file '" + bad_value.path() + "': invalid --max-line 'lots'");
  const config_file help("help = true\n");
  check_usage_error(run_to_exit({echo_server_path(), "--config", help.path()}),
                    "--help works only on the command line");
}

TEST_CASE("config: a config file that is not a regular file, or too large, is refused at once",
          "[integration][config]") {
  // Each answer within 3 s: the server used to read /dev/zero until it aborted (bad_alloc) and
  // wait forever for a FIFO's writer. run_to_exit kills it at the deadline (exit code nullopt).
  const auto refused = [](const std::string& path, const std::string& why) {
    INFO(path);
    const auto start = clock::now();
    check_usage_error(run_to_exit({echo_server_path(), "--config", path, "--print-config"}, {},
                                  deadline::in(std::chrono::seconds(3))),
                      "cannot read config file '" + path + "': " + why);
    CHECK(clock::now() - start < std::chrono::seconds(3));
  };
  refused("/dev/zero", "not a regular file");
  const temp_dir dir("config");
  const std::string fifo = dir.file("echo.conf");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // and nobody ever opens it for writing
  refused(fifo, "not a regular file");
  refused(dir.path().string(), "is a directory");
  // One byte over the limit, in comment lines that would be harmless.
  const config_file large(std::string(echo::max_config_file_bytes, '#') + "\n");
  refused(large.path(), "larger than 1 MiB, the most a config file may hold");
}

TEST_CASE("config: binary garbage in a config file comes back escaped, on one line",
          "[integration][config]") {
  // Terminal escapes (clear screen, bell, a C1 CSI), bytes that are not UTF-8 and a NUL.
  const char bytes[] =
      "\x1b[2J\x07\xff\xfe\x9b"
      "31m\r\x00tail\n";
  const config_file garbage(std::string(bytes, sizeof bytes - 1));
  const run_result r = run_to_exit({echo_server_path(), "--config", garbage.path()});
  REQUIRE_FALSE(r.err.empty());
  check_usage_error(r, "'\\x1b[2J\\x07\\xff\\xfe\\x9b31m\\r");
  // Nothing but printable ASCII before the one newline that ends the line.
  CHECK(std::all_of(r.err.begin(), r.err.end() - 1, [](char c) { return c >= 0x20 && c < 0x7f; }));
}

TEST_CASE("config: an ECHO_SERVER_ variable that names no option is one usage line, exit 2",
          "[integration][config]") {
  check_usage_error(run_to_exit({"env", "ECHO_SERVER_MAXLINE=10", echo_server_path()}),
                    "environment variable ECHO_SERVER_MAXLINE names no option");
  check_usage_error(run_to_exit({"env", "ECHO_SERVER_WORKERS=0", echo_server_path()}),
                    "environment variable ECHO_SERVER_WORKERS: invalid --workers '0'");
}
