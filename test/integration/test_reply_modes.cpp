// Reply modes driven by our own client, which, unlike nc, can send a message and wait for the
// answer without closing its side: the seeds' clients send "Hello, Server!" with no newline and
// wait, so the server must answer a message that has no newline once nothing more is coming.

#include "support/running_server.hpp"
#include "support/tcp_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace echo::test;

namespace {

// Sends `message` without closing our side and reads `reply.size()` bytes.
std::string ask(tcp_client& client, const std::string& message, const std::string& reply) {
  client.send_all(message);
  return client.read(reply.size()).data;
}

}  // namespace

TEST_CASE("reply: seed 000 prefix answers an unterminated message and stays open",
          "[integration][reply]") {
  running_server server({"--reply", "prefix"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  CHECK(ask(client, "Hello, Server!", "Echo: Hello, Server!") == "Echo: Hello, Server!");
  // Still open: a second message gets its own answer.
  CHECK(ask(client, "again\n", "Echo: again\n") == "Echo: again\n");
  client.shutdown_send();
  const read_result rest = client.read_until_eof();
  CHECK(rest.is_eof);
  CHECK(rest.data.empty());
}

TEST_CASE("reply: seed 001 prefix with --prefix 'Server received: '", "[integration][reply]") {
  running_server server({"--reply", "prefix", "--prefix", "Server received: "});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  CHECK(ask(client, "Hello, Server!", "Server received: Hello, Server!") ==
        "Server received: Hello, Server!");
}

TEST_CASE("reply: seed 002 ack --once answers exactly ACK! then EOF", "[integration][reply]") {
  running_server server({"--reply", "ack", "--once"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all("Hello, Server!");
  const read_result r = client.read_until_eof();
  CHECK(r.data == "ACK!");
  CHECK(r.is_eof);
  CHECK(r.error == 0);
}

TEST_CASE("reply: seed 004 echo --once echoes the message then EOF", "[integration][reply]") {
  running_server server({"--reply", "echo", "--once"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all("Hello, Server!");
  const read_result r = client.read_until_eof();
  CHECK(r.data == "Hello, Server!");
  CHECK(r.is_eof);
  CHECK(r.error == 0);
}

TEST_CASE("reply: --once answers only the first of several lines", "[integration][reply]") {
  const auto [args, reply] = GENERATE(table<std::vector<std::string>, std::string>({
      {{"--reply", "echo", "--once"}, "first\r\n"},
      {{"--reply", "prefix", "--once"}, "Echo: first\r\n"},
      {{"--reply", "ack", "--once"}, "ACK!\r\n"},
  }));
  running_server server(args);
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all("first\r\nsecond\r\nthird");
  const read_result r = client.read_until_eof();
  CHECK(r.data == reply);
  CHECK(r.is_eof);
  CHECK(r.error == 0);
  // The server keeps reading until we close (or for 2 s), so that our unread lines cannot turn
  // its close into a reset; only then does it log the connection as closed.
  client.close();
  CHECK(server.wait_for_log("(once)"));
}

TEST_CASE("reply: after a half-close the server sends everything owed, then closes",
          "[integration][reply]") {
  running_server server({"--reply", "prefix"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all("one\n\ntwo\r\nthree");
  client.shutdown_send();
  const read_result r = client.read_until_eof();
  CHECK(r.data == "Echo: one\nEcho: \nEcho: two\r\nEcho: three");
  CHECK(r.is_eof);
}

TEST_CASE("reply: embedded NUL and high bytes pass through prefix mode", "[integration][reply]") {
  running_server server({"--reply", "prefix"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  const std::string line("a\0b\xff\xfe\n", 6);
  CHECK(ask(client, line, "Echo: " + line) == "Echo: " + line);
}

// A long --message-wait, so that the test's own scheduling can never look like a pause.
TEST_CASE("reply: a line that arrives in pieces gets one reply", "[integration][reply]") {
  running_server server({"--reply", "prefix", "--message-wait", "5000"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all("hel");
  client.send_all("lo wor");
  client.send_all("ld\n");
  CHECK(client.read_until("\n").data == "Echo: hello world\n");
}

TEST_CASE("reply: an unterminated message is answered once the client pauses for --message-wait",
          "[integration][reply]") {
  const auto wait = std::chrono::milliseconds(300);
  running_server server({"--reply", "ack", "--message-wait", std::to_string(wait.count())});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  const auto sent = clock::now();
  client.send_all("no newline");
  const read_result r = client.read(4);
  const auto waited = clock::now() - sent;
  CHECK(r.data == "ACK!");
  // Never before the pause has lasted --message-wait (timers do not fire early).
  CHECK(waited >= wait);
}
