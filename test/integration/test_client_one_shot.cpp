// echo-client -m: each message sent as a line, each reply printed as a line, nothing else on
// stdout. Against every reply mode of the real echo-server, and against fake servers that answer
// in ways the real one does not (two replies to one line, a reply without a newline, CRLF).

#include "support/echo_client.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tcp_listener.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace echo::test;

namespace {

// `echo-client -p PORT args...` against `server`, with stdin an empty pipe.
run_result ask(const running_server& server, const std::vector<std::string>& args) {
  std::vector<std::string> all{"-p", std::to_string(server.port())};
  all.insert(all.end(), args.begin(), args.end());
  return run_client(all);
}

void check_success(const run_result& r, const std::string& out) {
  INFO("stdout: " << printable(r.out) << "\nstderr: " << printable(r.err));
  CHECK(r.exit_code == 0);
  CHECK(r.out == out);
  CHECK(r.err.empty());
}

}  // namespace

TEST_CASE("client one-shot: echo mode prints the message back", "[integration][client]") {
  running_server server;
  check_success(ask(server, {"-m", "hello"}), "hello\n");
  CHECK(server.wait_for_log("6 bytes in, 6 bytes out"));
}

TEST_CASE("client one-shot: prefix mode prints Echo: hello", "[integration][client]") {
  running_server server({"--reply", "prefix"});
  check_success(ask(server, {"-m", "hello"}), "Echo: hello\n");
  check_success(ask(server, {"--message", "Hello, Server!"}), "Echo: Hello, Server!\n");
}

TEST_CASE("client one-shot: ack --once prints ACK!", "[integration][client]") {
  running_server server({"--reply", "ack", "--once"});
  check_success(ask(server, {"-m", "hello"}), "ACK!\n");
}

TEST_CASE("client one-shot: two messages, two reply lines, in order", "[integration][client]") {
  running_server server({"--reply", "prefix"});
  check_success(ask(server, {"-m", "a", "-m", "b"}), "Echo: a\nEcho: b\n");
  // One connection for both.
  CHECK(server.wait_for_log_count("connection from", 1));
  CHECK(server.wait_for_log("4 bytes in, 16 bytes out"));
  CHECK(count_occurrences(server.log(), "connection from") == 1);
}

TEST_CASE("client one-shot: many messages keep their order", "[integration][client]") {
  running_server server;
  std::vector<std::string> args;
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    args.insert(args.end(), {"-m", "message " + std::to_string(i)});
    expected += "message " + std::to_string(i) + "\n";
  }
  check_success(ask(server, args), expected);
}

TEST_CASE("client one-shot: an empty message gets an empty reply line", "[integration][client]") {
  running_server server;
  check_success(ask(server, {"-m", ""}), "\n");
  running_server prefix({"--reply", "prefix"});
  check_success(ask(prefix, {"-m", "", "-m", "x"}), "Echo: \nEcho: x\n");
}

TEST_CASE("client one-shot: UTF-8 and a long message come back whole", "[integration][client]") {
  running_server server;
  check_success(ask(server, {"-m", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac"}),
                "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac\n");
  // Well over one read's worth, but under the kernel's limit on one argument (128 KiB).
  const std::string long_message(100 * 1000, 'x');
  check_success(ask(server, {"-m", long_message}), long_message + "\n");
}

TEST_CASE("client one-shot: host and port as flags or positionals", "[integration][client]") {
  running_server server;
  const std::string port = std::to_string(server.port());
  check_success(run_client({"-H", "127.0.0.1", "-p", port, "-m", "flags"}), "flags\n");
  check_success(run_client({"--host=127.0.0.1", "--port=" + port, "-m", "long"}), "long\n");
  check_success(run_client({"127.0.0.1", port, "-m", "positional"}), "positional\n");
  check_success(run_client({port, "-m", "lone port"}), "lone port\n");
  check_success(run_client({"-m", "first", "127.0.0.1", port}), "first\n");
}

TEST_CASE("client one-shot: localhost resolves", "[integration][client]") {
  running_server server;
  const std::string port = std::to_string(server.port());
  check_success(run_client({"-H", "localhost", "-p", port, "-m", "by name"}), "by name\n");
  check_success(run_client({"localhost", port, "-m", "positional name"}), "positional name\n");
}

TEST_CASE("client one-shot: IPv6 ::1", "[integration][client][ipv6]") {
  if (!has_ipv6_loopback()) {
    WARN("skipped: this machine cannot bind ::1 (IPv6 disabled?)");
    return;
  }
  running_server server({"--host", "::1", "--reply", "prefix"});
  REQUIRE(server.host() == "::1");
  const std::string port = std::to_string(server.port());
  check_success(run_client({"-H", "::1", "-p", port, "-m", "over v6"}), "Echo: over v6\n");
  check_success(run_client({"::1", port, "-m", "positional v6"}), "Echo: positional v6\n");
}

TEST_CASE("client one-shot: -v traces on stderr and leaves stdout alone", "[integration][client]") {
  running_server server;
  const run_result r = ask(server, {"-v", "-m", "hello"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "hello\n");
  CHECK_FALSE(r.err.empty());
}

TEST_CASE("client one-shot: ack --once closing before the second reply is exit 1",
          "[integration][client]") {
  running_server server({"--reply", "ack", "--once"});
  const run_result r = ask(server, {"-m", "a", "-m", "b"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "ACK!\n");
  CHECK(r.err == client_error(loopback(server.port()) + " closed the connection before replying"));
}

// Fake servers: each test scripts one connection on a listener of its own.

TEST_CASE("client one-shot: a reply ends at its newline and a CR before it is dropped",
          "[integration][client]") {
  tcp_listener listener;
  process client(client_command({"-p", std::to_string(listener.port()), "-m", "hello"}),
                 stdio_pipes{false, true, true});
  tcp_client peer = listener.accept();
  CHECK(peer.read_until("hello\n").data == "hello\n");
  peer.send_all("hi\r\n");
  check_success(wait_for_client(client), "hi\n");
}

// The client sends each message only once the previous reply is in, so a reply line that nobody
// is owed is a server answering twice: exit 1 with one line, not an extra line on stdout.
TEST_CASE("client one-shot: a server that replies twice to a line is an error",
          "[integration][client]") {
  tcp_listener listener;
  process client(client_command({"-p", std::to_string(listener.port()), "-m", "a", "-m", "b"}),
                 stdio_pipes{false, true, true});
  tcp_client peer = listener.accept();
  CHECK(peer.read_until("a\n").data == "a\n");
  SECTION("both replies in one piece") { peer.send_all("a\na\n"); }
  SECTION("the second one unfinished") { peer.send_all("a\na"); }
  SECTION("the second one unfinished, then the server closes") {
    peer.send_all("a\n");
    CHECK(peer.read_until("b\n").data == "b\n");
    peer.send_all("b\nb");
    peer.close();
  }
  const run_result r = wait_for_client(client);
  INFO("stdout: " << printable(r.out) << "\nstderr: " << printable(r.err));
  CHECK(r.exit_code == 1);
  const bool is_second = r.out == "a\nb\n";
  CHECK((r.out == "a\n" || is_second));
  CHECK(r.err == client_error(loopback(listener.port()) + " sent more than the reply to message " +
                              (is_second ? "2" : "1")));
}

// A message holding a newline is two lines: two replies are owed, and both are printed.
TEST_CASE("client one-shot: a message with a newline gets a reply per line",
          "[integration][client]") {
  running_server server({"--reply", "prefix"});
  check_success(ask(server, {"-m", "a\nb", "-m", "c"}), "Echo: a\nEcho: b\nEcho: c\n");
}

TEST_CASE("client one-shot: a reply that ends when the server closes is printed as it is",
          "[integration][client]") {
  tcp_listener listener;
  process client(client_command({"-p", std::to_string(listener.port()), "-m", "hello"}),
                 stdio_pipes{false, true, true});
  tcp_client peer = listener.accept();
  CHECK(peer.read_until("hello\n").data == "hello\n");
  peer.send_all("no newline");
  peer.close();
  check_success(wait_for_client(client), "no newline\n");
}

TEST_CASE("client one-shot: a reply in pieces is printed once, whole", "[integration][client]") {
  tcp_listener listener;
  process client(client_command({"-p", std::to_string(listener.port()), "-m", "hello"}),
                 stdio_pipes{false, true, true});
  tcp_client peer = listener.accept();
  CHECK(peer.read_until("hello\n").data == "hello\n");
  peer.send_all("hel");
  peer.send_all("lo\n");
  check_success(wait_for_client(client), "hello\n");
}

TEST_CASE("client one-shot: bytes in a reply are printed as they came", "[integration][client]") {
  tcp_listener listener;
  process client(client_command({"-p", std::to_string(listener.port()), "-m", "bin"}),
                 stdio_pipes{false, true, true});
  tcp_client peer = listener.accept();
  CHECK(peer.read_until("bin\n").data == "bin\n");
  const std::string reply("a\0b\x01\xff\r c", 8);
  peer.send_all(reply + "\n");
  const run_result r = wait_for_client(client);
  INFO(describe_difference(reply + "\n", r.out));
  check_success(r, reply + "\n");
}
