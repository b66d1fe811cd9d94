// --udp: the same port serves datagrams, driven by real clients (nc -u, socat, python) and our own
// sockets over IPv4 and IPv6. One datagram is one message: echo sends it back byte-exact, prefix
// puts --prefix before it, ack answers --ack with the datagram's own line ending. Empty datagrams
// come back empty and the largest there are (65,507 bytes over IPv4, 65,527 over IPv6) whole.

#include "support/echo_client.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"
#include "support/udp_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

// The arguments of a server on `host` ("127.0.0.1" or "::1") with UDP on, then `args`.
std::vector<std::string> udp_args(const std::string& host, std::vector<std::string> args) {
  args.insert(args.begin(), {"--host", host, "--udp"});
  return args;
}

// False, with a warning, for ::1 where this machine has no IPv6: the test is skipped.
bool can_use(const std::string& host) {
  if (host == "::1" && !has_ipv6_loopback()) {
    WARN("skipped: this machine cannot bind ::1 (IPv6 disabled?)");
    return false;
  }
  return true;
}

// One datagram to the server from a new socket; the reply, or nullopt at the deadline.
std::optional<std::string> round_trip(const running_server& server, const std::string& datagram) {
  udp_client client = udp_client::connect(server.host(), server.port());
  client.send(datagram);
  return client.receive();
}

std::string port_of(const running_server& server) { return std::to_string(server.port()); }

const char* python_client = R"(
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ':' in host else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.settimeout(10)
largest = 65527 if family == socket.AF_INET6 else 65507
for datagram in [b'hello\n', b'', bytes(range(256)), bytes(i % 251 for i in range(largest))]:
    s.sendto(datagram, (host, port))
    reply, source = s.recvfrom(65536)
    print(len(datagram), 'same' if reply == datagram else 'differs', source[1] == port)
)";

}  // namespace

TEST_CASE("udp: --udp serves a TCP echo and a UDP echo on the same port number",
          "[integration][udp]") {
  running_server server({"--udp"});
  CHECK_THAT(server.log(), Catch::Contains("listening on 127.0.0.1:" + port_of(server) +
                                           " (TCP and UDP, reply echo)\n"));
  tcp_client tcp = tcp_client::connect(server.host(), server.port());
  udp_client udp = udp_client::connect(server.host(), server.port());
  tcp.send_all("over tcp\n");
  udp.send("over udp\n");
  CHECK(udp.receive() == "over udp\n");
  CHECK(tcp.read_until("\n").data == "over tcp\n");
  // Each again, while the other is open: neither protocol disturbs the other.
  udp.send("udp again");
  tcp.send_all("tcp again\n");
  CHECK(tcp.read_until("again\n").data == "tcp again\n");
  CHECK(udp.receive() == "udp again");
}

TEST_CASE("udp: --udp --no-tcp serves UDP only", "[integration][udp]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  if (!can_use(host)) return;
  running_server server(udp_args(host, {"--no-tcp"}));
  const std::string shown = host == "::1" ? "[::1]" : host;
  CHECK_THAT(server.log(), Catch::Contains("listening on " + shown + ":" + port_of(server) +
                                           " (UDP only, reply echo)\n"));
  CHECK(round_trip(server, "only udp\n") == "only udp\n");
  CHECK_THROWS_WITH(tcp_client::connect(host, server.port()),
                    Catch::Contains("Connection refused"));
}

TEST_CASE("udp: nc -u gets each line back as its own datagram", "[integration][udp][netcat]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  if (!can_use(host)) return;
  running_server server(udp_args(host, {}));
  // -w: nc -u would otherwise wait forever after stdin; here it is killed once the replies came.
  process nc({"nc", "-u", "-w", "10", host, port_of(server)}, stdio_pipes{true, true, true});
  REQUIRE(nc.write_stdin("hello\n", deadline::after_default()));
  CHECK(nc.read_stdout_until("hello\n", deadline::after_default()));
  REQUIRE(nc.write_stdin("world\n", deadline::after_default()));
  CHECK(nc.read_stdout_until("hello\nworld\n", deadline::after_default()));
  CHECK(nc.stdout_text() == "hello\nworld\n");
}

TEST_CASE("udp: nc -u in prefix and ack modes", "[integration][udp][netcat]") {
  SECTION("prefix") {
    running_server server({"--udp", "--reply", "prefix", "--prefix", "udp> "});
    process nc({"nc", "-u", "-w", "10", server.host(), port_of(server)},
               stdio_pipes{true, true, true});
    REQUIRE(nc.write_stdin("hello\n", deadline::after_default()));
    CHECK(nc.read_stdout_until("udp> hello\n", deadline::after_default()));
  }
  SECTION("ack") {
    running_server server({"--udp", "--reply", "ack"});
    process nc({"nc", "-u", "-w", "10", server.host(), port_of(server)},
               stdio_pipes{true, true, true});
    REQUIRE(nc.write_stdin("hello\n", deadline::after_default()));
    CHECK(nc.read_stdout_until("ACK!\n", deadline::after_default()));
    REQUIRE(nc.write_stdin("again\n", deadline::after_default()));
    CHECK(nc.read_stdout_until("ACK!\nACK!\n", deadline::after_default()));
    CHECK(nc.stdout_text() == "ACK!\nACK!\n");
  }
}

TEST_CASE("udp: socat - UDP:HOST:PORT gets its datagrams back", "[integration][udp][socat]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  if (!can_use(host)) return;
  running_server server(udp_args(host, {"--reply", "prefix"}));
  const std::string address =
      host == "::1" ? "UDP6:[::1]:" + port_of(server) : "UDP4:" + host + ":" + port_of(server);
  process socat({"socat", "-", address}, stdio_pipes{true, true, true});
  REQUIRE(socat.write_stdin("via socat\r\n", deadline::after_default()));
  CHECK(socat.read_stdout_until("Echo: via socat\r\n", deadline::after_default()));
  REQUIRE(socat.write_stdin("no newline", deadline::after_default()));
  CHECK(socat.read_stdout_until("Echo: no newline", deadline::after_default()));
  CHECK(socat.stdout_text() == "Echo: via socat\r\nEcho: no newline");
}

TEST_CASE("udp: a python client gets small, empty, binary and the largest datagrams back",
          "[integration][udp][python]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  if (!can_use(host)) return;
  running_server server(udp_args(host, {}));
  const run_result r = run_to_exit({"python3", "-c", python_client, host, port_of(server)});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  const std::string largest = host == "::1" ? "65527" : "65507";
  CHECK(r.out == "6 same True\n0 same True\n256 same True\n" + largest + " same True\n");
}

struct reply_case {
  std::vector<std::string> args;
  std::string datagram;
  std::string reply;
};

TEST_CASE("udp: every reply mode answers one datagram as one message", "[integration][udp]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  if (!can_use(host)) return;
  const std::vector<std::string> echo = {};
  const std::vector<std::string> prefix = {"--reply", "prefix", "--prefix", "P: "};
  const std::vector<std::string> ack = {"--reply", "ack"};
  const std::vector<std::string> own_ack = {"--reply", "ack", "--ack", "got it"};
  const reply_case c = GENERATE_COPY(values<reply_case>({
      {echo, "hello\n", "hello\n"},
      // Several lines in one datagram are one message: one reply, not one per line.
      {echo, "one\ntwo\r\nthree", "one\ntwo\r\nthree"},
      {echo, std::string("nul\0byte\xff", 9), std::string("nul\0byte\xff", 9)},
      {prefix, "hello\n", "P: hello\n"},
      {prefix, "crlf\r\n", "P: crlf\r\n"},
      {prefix, "one\ntwo\n", "P: one\ntwo\n"},
      {prefix, "none", "P: none"},
      // ack keeps the datagram's own line ending: "\n", "\r\n" or none.
      {ack, "hello\n", "ACK!\n"},
      {ack, "hello\r\n", "ACK!\r\n"},
      {ack, "hello", "ACK!"},
      {ack, "bare cr\r", "ACK!"},
      {ack, "one\ntwo\n", "ACK!\n"},
      {ack, "\n", "ACK!\n"},
      {own_ack, "hello\r\n", "got it\r\n"},
      {own_ack, "hello", "got it"},
  }));
  running_server server(udp_args(host, c.args));
  INFO("echo-server " << Catch::Detail::stringify(c.args) << " <- "
                      << Catch::Detail::stringify(printable(c.datagram)));
  const auto reply = round_trip(server, c.datagram);
  REQUIRE(reply);
  CHECK(printable(*reply) == printable(c.reply));
}

TEST_CASE("udp: an empty datagram is answered in every mode", "[integration][udp]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  if (!can_use(host)) return;
  const reply_case c = GENERATE(values<reply_case>({
      {{}, "", ""},
      {{"--reply", "prefix"}, "", "Echo: "},
      {{"--reply", "ack"}, "", "ACK!"},
  }));
  running_server server(udp_args(host, c.args));
  CHECK(round_trip(server, "") == c.reply);
}

TEST_CASE("udp: the largest datagram comes back whole, over IPv4 and IPv6", "[integration][udp]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  if (!can_use(host)) return;
  const std::size_t largest = host == "::1" ? 65527 : 65507;
  running_server server(udp_args(host, {}));
  udp_client client = udp_client::connect(host, server.port());
  // The kernel itself refuses one byte more: these really are the largest.
  CHECK_THROWS_WITH(client.send(std::string(largest + 1, 'x')),
                    Catch::Contains("Message too long"));
  const std::string data = random_bytes(largest, 7);
  client.send(data);
  const auto reply = client.receive();
  REQUIRE(reply);
  CHECK(reply->size() == largest);
  INFO(describe_difference(data, *reply));
  CHECK(first_difference(data, *reply) == std::string::npos);
}

TEST_CASE("udp: a burst of datagrams from one socket is answered one reply each",
          "[integration][udp]") {
  running_server server({"--udp", "--reply", "prefix"});
  udp_client client = udp_client::connect(server.host(), server.port());
  constexpr int count = 100;
  std::vector<std::string> expected;
  for (int i = 0; i < count; ++i) {
    const std::string datagram = "datagram " + std::to_string(i) + "\n";
    client.send(datagram);
    expected.push_back("Echo: " + datagram);
  }
  std::vector<std::string> replies;
  for (int i = 0; i < count; ++i) {
    const auto reply = client.receive();
    if (!reply) break;
    replies.push_back(*reply);
  }
  std::sort(replies.begin(), replies.end());
  std::sort(expected.begin(), expected.end());
  CHECK(replies == expected);
}

TEST_CASE("udp: --once and --max-line apply to TCP only, not to datagrams", "[integration][udp]") {
  running_server server({"--udp", "--once", "--max-line", "8"});
  udp_client client = udp_client::connect(server.host(), server.port());
  const std::string long_line = "far longer than the eight bytes of --max-line\n";
  client.send(long_line);
  CHECK(client.receive() == long_line);
  client.send("a second datagram, after --once\n");
  CHECK(client.receive() == "a second datagram, after --once\n");
  // TCP on the same port still obeys both: one reply, then the close.
  tcp_client tcp = tcp_client::connect(server.host(), server.port());
  tcp.send_all("short\n");
  const read_result r = tcp.read_until_eof();
  CHECK(r.data == "short\n");
  CHECK(r.is_eof);
}

// prefix + the largest datagram is larger than any datagram: it cannot be sent, so it is dropped
// (never cut) and counted, and the server goes on answering.
TEST_CASE("udp: a prefix reply too large for a datagram is dropped and counted",
          "[integration][udp]") {
  running_server server({"--udp", "--reply", "prefix"});
  udp_client client = udp_client::connect(server.host(), server.port());
  client.send(std::string(65507, 'x'));
  client.send("small\n");
  CHECK(client.receive() == "Echo: small\n");
  CHECK_FALSE(client.receive(deadline::in(std::chrono::milliseconds(300))));
  // The largest that fits still comes back whole.
  client.send(std::string(65507 - 6, 'y'));
  CHECK(client.receive() == "Echo: " + std::string(65507 - 6, 'y'));
  server.proc().signal(SIGUSR1);
  CHECK(server.wait_for_log(
      " udp_datagrams_in=3 udp_datagrams_out=2 udp_bytes_in=" + std::to_string(65507 + 6 + 65501) +
      " udp_bytes_out=" + std::to_string(12 + 65507) + " udp_dropped=1\n"));
  // Refused before sendmmsg, as too_large: no warning a client could trigger at will.
  CHECK(server.log().find("Message too long") == std::string::npos);
}

// Our client against our server: every mode of echo-client -u finds the server byte-exact.
TEST_CASE("udp: echo-client -u against echo-server --udp: -m, pipe, --test, --bench",
          "[integration][udp]") {
  running_server server({"--udp", "--no-tcp"});
  const std::string port = std::to_string(server.port());
  const run_result one_shot = run_client({"-u", "-p", port, "-m", "hello", "-m", ""});
  CHECK(one_shot.exit_code == 0);
  CHECK(one_shot.out == "hello\n\n");
  const run_result pipe = run_client({"-u", "-p", port}, "one\ntwo\n");
  CHECK(pipe.exit_code == 0);
  CHECK(pipe.out == "one\ntwo\n");
  const run_result test = run_client({"-u", "-p", port, "--test"});
  CHECK(test.exit_code == 0);
  CHECK_THAT(test.out, Catch::Contains("6 passed, 0 failed"));
  const run_result bench = run_client({"-u", "-p", port, "--bench", "--connections", "4",
                                       "--duration", "0.5", "--warmup", "0.1", "--json"});
  CHECK(bench.exit_code == 0);
  CHECK_THAT(bench.out, Catch::Contains("\"mismatches\": 0,") && Catch::Contains("\"udp\": true"));
}
