// echo-client -u against a UDP echo server (test/support/udp_echo.py; echo-server --udp later):
// -m and pipe mode like nc -u, IPv4 and IPv6, empty datagrams; exit 5 and one line when nothing
// answers, exit 3 when nothing listens, --retries resending; every UDP usage error; --test --udp
// passing; --bench --udp's JSON, with loss counted when the server drops datagrams.

#include "support/echo_client.hpp"
#include "support/pty_process.hpp"
#include "support/test_data.hpp"
#include "support/udp_echo_server.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

std::string port_of(const udp_echo_server& server) { return std::to_string(server.port()); }

double field(const std::string& json, const std::string& name) {
  const std::regex pattern("\"" + name + "\": ([0-9.]+)");
  std::smatch match;
  REQUIRE(std::regex_search(json, match, pattern));
  return std::stod(match[1]);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> bench_args(const udp_echo_server& server, std::vector<std::string> extra) {
  std::vector<std::string> args = {"-u", "-p",       port_of(server), "--bench", "--duration",
                                   "1",  "--warmup", "0.2",           "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

TEST_CASE("client udp: -m sends each message as a datagram and prints each reply",
          "[integration][client][udp]") {
  const std::string host = GENERATE(std::string("127.0.0.1"), std::string("::1"));
  udp_echo_server server({"--host", host});
  const run_result r =
      run_client({"-u", "-H", host, "-p", port_of(server), "-m", "hello", "-m", "", "-m", "a\tb"});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "hello\n\na\tb\n");
  CHECK(r.err.empty());
}

TEST_CASE("client udp: pipe mode sends each line of stdin as one datagram, like nc -u",
          "[integration][client][udp]") {
  udp_echo_server server;
  // The empty line is an empty datagram; the unterminated last line is a datagram too.
  const run_result r = run_client({"--udp", "-p", port_of(server)}, "one\ntwo\n\nthree");
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "one\ntwo\n\nthree\n");
}

TEST_CASE("client udp: interactive mode sends each typed line as a datagram",
          "[integration][client][udp]") {
  udp_echo_server server;
  pty_process client(client_command({"-u", "-p", port_of(server)}));
  const auto expect_screen = [&client](const std::string& text) {
    if (!client.read_until(text)) {
      FAIL("echo-client never showed \"" << printable(text) << "\"; it showed:\n"
                                         << printable(client.transcript()));
    }
  };
  expect_screen("Sending datagrams to " + loopback(server.port()) +
                " (UDP). Type a line to send it; quit, exit or Ctrl+D to leave.");
  expect_screen("> ");
  REQUIRE(client.write("hello over udp\r"));
  expect_screen("hello over udp\r\n");  // the terminal's echo of the typed line
  expect_screen("hello over udp");      // the reply
  expect_screen("> ");
  REQUIRE(client.write("quit\r"));
  expect_screen("Disconnected.");
  CHECK(client.wait_exit(deadline::after_default()) == 0);
}

TEST_CASE("client udp: no reply is exit 5 with one line", "[integration][client][udp]") {
  udp_echo_server silent({"--silent"});
  const std::string where = loopback(silent.port());
  SECTION("-m") {
    const run_result r =
        run_client({"-u", "-p", port_of(silent), "--timeout", "0.3", "-m", "anyone?"});
    CHECK(r.exit_code == 5);
    CHECK(r.out.empty());
    CHECK(r.err == client_error("timed out after 0.3s waiting for a reply from " + where));
  }
  SECTION("pipe mode") {
    const run_result r = run_client({"-u", "-p", port_of(silent), "--timeout", "0.3"}, "a\nb\n");
    CHECK(r.exit_code == 5);
    CHECK(r.err == client_error("timed out after 0.3s waiting for 2 of 2 replies from " + where));
  }
}

TEST_CASE("client udp: nothing listening is exit 3 with one line", "[integration][client][udp]") {
  const std::uint16_t port = unused_udp_port();
  const run_result r = run_client({"-u", "-p", std::to_string(port), "-m", "x"});
  CHECK(r.exit_code == 3);
  CHECK(r.err ==
        client_error("no UDP server at " + loopback(port) + ": port unreachable (is it running?)"));
}

TEST_CASE("client udp: --retries resends a datagram that got no reply",
          "[integration][client][udp]") {
  udp_echo_server server({"--drop-first", "2"});
  SECTION("enough retries") {
    const run_result r = run_client(
        {"-u", "-p", port_of(server), "--timeout", "0.2", "--retries", "2", "-m", "third time"});
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "third time\n");
  }
  SECTION("too few") {
    const run_result r = run_client(
        {"-u", "-p", port_of(server), "--timeout", "0.2", "--retries", "1", "-m", "lost"});
    CHECK(r.exit_code == 5);
    CHECK(r.err ==
          client_error("timed out after 0.2s waiting for a reply from " + loopback(server.port())));
  }
}

TEST_CASE("client udp: flags that mean nothing over UDP are usage errors naming both",
          "[integration][client][udp]") {
  struct usage_case {
    std::vector<std::string> args;
    std::string message;
  };
  const usage_case c = GENERATE(values<usage_case>({
      {{"-u", "--tls", "-m", "x"}, "--udp and --tls cannot be used together"},
      {{"-u", "--tls-ca", "ca.pem", "-m", "x"}, "--udp and --tls-ca cannot be used together"},
      {{"-u", "--tls-server-name", "a", "-m", "x"},
       "--udp and --tls-server-name cannot be used together"},
      {{"-u", "--insecure", "-m", "x"}, "--udp and --insecure cannot be used together"},
      {{"-u", "--tls-cert", "c.pem", "--tls-key", "k.pem", "-m", "x"},
       "--udp and --tls-cert cannot be used together"},
      {{"-u", "--bench", "--churn"}, "--udp and --churn cannot be used together"},
      {{"-u", "--no-shutdown"}, "--udp and --no-shutdown cannot be used together"},
      {{"--retries", "1", "-m", "x"}, "--retries needs --udp"},
      {{"-u", "--retries", "1", "--test"}, "--retries needs --message"},
      {{"-u", "--retries", "x", "-m", "x"},
       "invalid --retries 'x': expected a number from 0 to 100"},
      {{"-u", "--bench", "--size", "15"},
       "invalid --size '15' with --udp: at least 16 bytes (each datagram's sequence number and "
       "send time)"},
      {{"-u", "--bench", "--size", "65528"},
       "invalid --size '65528' with --udp: at most 65527 bytes, the largest UDP datagram (65507 "
       "over IPv4)"},
  }));
  INFO(c.message);
  const run_result r = run_client(c.args);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "echo-client: " + c.message + " (try 'echo-client --help')\n");
}

TEST_CASE("client udp: --help says how stdin becomes datagrams", "[integration][client][udp]") {
  const run_result r = run_client({"--help"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("-u [ --udp ]") && Catch::Contains("each line of stdin") &&
                        Catch::Contains("--retries"));
}

TEST_CASE("client udp: --test passes against a UDP echo server", "[integration][client][udp]") {
  const std::string host = GENERATE(std::string("127.0.0.1"), std::string("::1"));
  udp_echo_server server({"--host", host});
  const run_result r = run_client({"-u", "--test", "-H", host, "-p", port_of(server)}, {},
                                  deadline::in(std::chrono::seconds(30)));
  INFO("stdout:\n" << r.out << "stderr: " << r.err);
  CHECK(r.exit_code == 0);
  const std::vector<std::string> lines = lines_of(r.out);
  REQUIRE(lines.size() == 7);
  const std::string largest = host == "::1" ? "65527" : "65507";
  CHECK(lines[0] == "PASS short datagram");
  CHECK(lines[1] == "PASS empty datagram");
  CHECK(lines[2] == "PASS binary with NULs");
  CHECK(lines[3] == "PASS maximum size (" + largest + " bytes)");
  // UDP may drop part of a burst: that is reported on the PASS line, not failed.
  CHECK_THAT(lines[4], Catch::Matches("PASS 1000 datagrams in a burst( \\([0-9]+ of 1000 lost: "
                                      "UDP may drop datagrams\\))?"));
  CHECK(lines[5] == "PASS 20 concurrent sockets");
  CHECK(lines[6] == "6 passed, 0 failed");
}

TEST_CASE("client udp: --test fails each case against a server that never answers",
          "[integration][client][udp]") {
  udp_echo_server silent({"--silent"});
  const run_result r = run_client({"-u", "--test", "-p", port_of(silent), "--timeout", "0.2"}, {},
                                  deadline::in(std::chrono::seconds(30)));
  INFO("stdout:\n" << r.out);
  CHECK(r.exit_code == 1);
  const std::vector<std::string> lines = lines_of(r.out);
  REQUIRE(lines.size() == 7);
  CHECK(lines[0] ==
        "FAIL short datagram: timed out after 0.2s waiting for the echo of 19 bytes \"Hello, echo "
        "server!\": got nothing");
  for (std::size_t i = 0; i < 6; ++i) CHECK_THAT(lines[i], Catch::StartsWith("FAIL "));
  CHECK(lines[6] == "0 passed, 6 failed");
}

TEST_CASE("client udp: --bench --json counts every datagram and checks every reply",
          "[integration][client][udp][bench]") {
  udp_echo_server server;
  const auto shape = GENERATE(as<std::vector<std::string>>{}, std::vector<std::string>{},
                              std::vector<std::string>{"--connections", "8", "--depth", "4"},
                              std::vector<std::string>{"--size", "1400", "--depth", "2"},
                              std::vector<std::string>{"--connections", "4", "--rate", "2000"});
  const run_result r =
      run_client(bench_args(server, shape), {}, deadline::in(std::chrono::seconds(20)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
  for (const char* name :
       {"msgs_per_s",   "mb_per_s",  "p50_us",     "p90_us",      "p99_us",      "p999_us",
        "max_us",       "errors",    "mismatches", "fell_behind", "connections", "size",
        "depth",        "rate",      "duration_s", "sent",        "received",    "lost",
        "loss_percent", "reordered", "duplicated", "jitter_us"}) {
    INFO(name);
    CHECK(field(r.out, name) >= 0);
  }
  CHECK(field(r.out, "errors") == 0);
  CHECK(field(r.out, "mismatches") == 0);
  CHECK(field(r.out, "sent") > 0);
  CHECK(field(r.out, "received") > 0);
  CHECK(field(r.out, "lost") == field(r.out, "sent") - field(r.out, "received"));
  CHECK(field(r.out, "msgs_per_s") == Approx(field(r.out, "received")).epsilon(0.01));
  CHECK(field(r.out, "p50_us") <= field(r.out, "p99_us"));
  CHECK(field(r.out, "p99_us") <= field(r.out, "max_us"));
}

TEST_CASE("client udp: --bench reports the loss when the server drops datagrams",
          "[integration][client][udp][bench]") {
  udp_echo_server server({"--drop-every", "5"});
  const run_result r =
      run_client(bench_args(server, {"--connections", "4", "--depth", "4", "--timeout", "0.2"}), {},
                 deadline::in(std::chrono::seconds(20)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);  // loss is a measurement, not a failure
  CHECK(field(r.out, "mismatches") == 0);
  CHECK(field(r.out, "lost") > 0);
  CHECK(field(r.out, "lost") == field(r.out, "sent") - field(r.out, "received"));
  // One in five dropped, whatever the window caught.
  CHECK(field(r.out, "loss_percent") > 15);
  CHECK(field(r.out, "loss_percent") < 25);
}

TEST_CASE("client udp: --bench starts although its first probes are lost",
          "[integration][client][udp][bench]") {
  // The first two datagrams vanish (a lossy path, or a server with --loss): the bench probes
  // again within --timeout instead of giving up before it starts.
  udp_echo_server server({"--drop-first", "2"});
  const run_result r = run_client(bench_args(server, {"--timeout", "1"}), {},
                                  deadline::in(std::chrono::seconds(20)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(field(r.out, "received") > 0);
  CHECK(field(r.out, "mismatches") == 0);
}

TEST_CASE("client udp: --bench counts replies that differ from what was sent as mismatches",
          "[integration][client][udp][bench]") {
  udp_echo_server server({"--flip-every", "100"});
  const run_result r = run_client(bench_args(server, {"--timeout", "0.2"}), {},
                                  deadline::in(std::chrono::seconds(20)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 1);
  CHECK(field(r.out, "mismatches") >= 1);
  // A changed reply is no reply: its datagram counts lost.
  CHECK(field(r.out, "lost") >= 1);
  CHECK(field(r.out, "lost") == field(r.out, "sent") - field(r.out, "received"));
}

TEST_CASE("client udp: --test says where a changed echo differs", "[integration][client][udp]") {
  udp_echo_server server({"--flip-every", "1"});
  const run_result r = run_client({"-u", "--test", "-p", port_of(server), "--timeout", "0.2"}, {},
                                  deadline::in(std::chrono::seconds(30)));
  INFO("stdout:\n" << r.out);
  CHECK(r.exit_code == 1);
  const std::vector<std::string> lines = lines_of(r.out);
  REQUIRE(lines.size() == 7);
  CHECK(lines[0] ==
        "FAIL short datagram: expected 19 bytes \"Hello, echo server!\", got 19 bytes \"Hello, "
        "echo server\\xde\"; first difference at byte 18: expected 0x21, got 0xde");
  CHECK(lines[1] == "PASS empty datagram");  // nothing to change
  CHECK(lines[6] == "1 passed, 5 failed");
}

TEST_CASE("client udp: --bench against nothing is the one-line refusal",
          "[integration][client][udp][bench]") {
  const std::uint16_t port = unused_udp_port();
  const run_result r = run_client({"-u", "-p", std::to_string(port), "--bench", "--duration", "1"});
  CHECK(r.exit_code == 3);
  CHECK(r.err ==
        client_error("no UDP server at " + loopback(port) + ": port unreachable (is it running?)"));
}

TEST_CASE("client udp: the human bench report names what it measured",
          "[integration][client][udp][bench]") {
  udp_echo_server server;
  std::vector<std::string> args = bench_args(server, {"--connections", "3"});
  args.erase(std::find(args.begin(), args.end(), "--json"));
  const run_result r = run_client(args, {}, deadline::in(std::chrono::seconds(20)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("3 sockets x 64 B, closed loop, depth 1") &&
                        Catch::Contains("datagrams/s") && Catch::Contains("lost 0 (0.00%)") &&
                        Catch::Contains("jitter us") && Catch::Contains("errors 0  mismatches 0"));
}
