// echo-client with a terminal as stdin, driven through a pseudo-terminal the way a person would
// use it: a greeting, a "> " prompt, lines typed and sent, replies (and messages nobody asked for)
// printed as they arrive, and every way out: quit, exit, Ctrl+D, Ctrl+C, and the server closing.

#include "support/echo_client.hpp"
#include "support/pty_process.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tcp_listener.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

using namespace echo::test;

namespace {

constexpr const char* ctrl_c = "\x03";
constexpr const char* ctrl_d = "\x04";

void expect_screen(pty_process& client, const std::string& text) {
  if (!client.read_until(text)) {
    FAIL("echo-client never showed \"" << printable(text) << "\"; it showed:\n"
                                       << printable(client.transcript()));
  }
}

void type(pty_process& client, const std::string& keys) {
  if (!client.write(keys)) FAIL("could not type \"" << printable(keys) << "\" into echo-client");
}

// Starts the client on a terminal against 127.0.0.1:port and waits for its greeting and prompt.
void expect_greeting(pty_process& client, std::uint16_t port) {
  expect_screen(client, "Connected to " + loopback(port) +
                            ". Type a line to send it; quit, exit or Ctrl+D to leave.");
  expect_screen(client, "> ");
}

void expect_exit_0(pty_process& client) {
  INFO("screen:\n" << printable(client.transcript()));
  CHECK(client.wait_exit(deadline::after_default()) == 0);
}

}  // namespace

TEST_CASE("client interactive: a typed line gets its reply, then a fresh prompt",
          "[integration][client]") {
  running_server server({"--reply", "prefix"});
  pty_process client(client_command({"-p", std::to_string(server.port())}));
  expect_greeting(client, server.port());
  type(client, "hello\r");
  expect_screen(client, "Echo: hello");
  expect_screen(client, "> ");
  type(client, "second line\r");
  expect_screen(client, "Echo: second line");
  expect_screen(client, "> ");
  type(client, "quit\r");
  expect_screen(client, "Disconnected.");
  expect_exit_0(client);
  // Each line went out with "\n" alone: 6 + 12 bytes in, "Echo: " more of each back.
  CHECK(server.wait_for_log("18 bytes in, 30 bytes out (eof)"));
}

TEST_CASE("client interactive: exit leaves like quit", "[integration][client]") {
  running_server server({"--reply", "prefix"});
  pty_process client(client_command({"-p", std::to_string(server.port())}));
  expect_greeting(client, server.port());
  type(client, "exit\r");
  expect_screen(client, "Disconnected.");
  expect_exit_0(client);
  // "exit" is a command, not a message: nothing was sent.
  CHECK(server.wait_for_log("0 bytes in, 0 bytes out"));
}

TEST_CASE("client interactive: Ctrl+D leaves", "[integration][client]") {
  running_server server({"--reply", "prefix"});
  pty_process client(client_command({"-p", std::to_string(server.port())}));
  expect_greeting(client, server.port());
  type(client, "hello\r");
  expect_screen(client, "Echo: hello");
  expect_screen(client, "> ");
  type(client, ctrl_d);
  expect_screen(client, "Disconnected.");
  expect_exit_0(client);
}

TEST_CASE("client interactive: Ctrl+C leaves cleanly", "[integration][client]") {
  running_server server({"--reply", "prefix"});
  pty_process client(client_command({"-p", std::to_string(server.port())}));
  expect_greeting(client, server.port());
  type(client, "hello\r");
  expect_screen(client, "Echo: hello");
  expect_screen(client, "> ");
  type(client, ctrl_c);
  expect_screen(client, "Disconnected.");
  expect_exit_0(client);
}

TEST_CASE("client interactive: Ctrl+C with half a line typed leaves cleanly",
          "[integration][client]") {
  running_server server({"--reply", "prefix"});
  pty_process client(client_command({"-p", std::to_string(server.port())}));
  expect_greeting(client, server.port());
  type(client, "half a li");
  type(client, ctrl_c);
  expect_screen(client, "Disconnected.");
  expect_exit_0(client);
  CHECK(server.wait_for_log("0 bytes in, 0 bytes out"));
}

TEST_CASE("client interactive: the server closing ends the session with exit 0",
          "[integration][client]") {
  running_server server({"--reply", "ack", "--once"});
  pty_process client(client_command({"-p", std::to_string(server.port())}));
  expect_greeting(client, server.port());
  type(client, "hello\r");
  expect_screen(client, "ACK!");
  expect_screen(client, "Connection closed by the server.");
  expect_exit_0(client);
}

TEST_CASE("client interactive: a message nobody asked for is shown, then a prompt",
          "[integration][client]") {
  tcp_listener listener;
  pty_process client(client_command({"-p", std::to_string(listener.port())}));
  tcp_client peer = listener.accept();
  peer.send_all("hi from server\n");
  expect_screen(client, "Connected to " + loopback(listener.port()) +
                            ". Type a line to send it; quit, exit or Ctrl+D to leave.");
  expect_screen(client, "hi from server");
  expect_screen(client, "> ");
  // Still a working session: a typed line reaches the server.
  type(client, "typed\r");
  CHECK(peer.read_until("typed\n").data == "typed\n");
  type(client, "quit\r");
  expect_screen(client, "Disconnected.");
  expect_exit_0(client);
  const read_result rest = peer.read_until_eof();
  CHECK(rest.is_eof);
}

TEST_CASE("client interactive: a message after a pause is shown with a fresh prompt",
          "[integration][client]") {
  tcp_listener listener;
  pty_process client(client_command({"-p", std::to_string(listener.port())}));
  tcp_client peer = listener.accept();
  expect_greeting(client, listener.port());
  // The client is sitting at its prompt; the server speaks first.
  peer.send_all("unprompted\n");
  expect_screen(client, "unprompted");
  expect_screen(client, "> ");
  peer.close();
  expect_screen(client, "Connection closed by the server.");
  expect_exit_0(client);
}

TEST_CASE("client interactive: a server that is down is the refused error, exit 3",
          "[integration][client]") {
  const unused_port nobody;
  pty_process client(client_command({"-p", std::to_string(nobody.port())}));
  expect_screen(client, "echo-client: cannot connect to " + loopback(nobody.port()) +
                            ": connection refused (is the server running?)");
  INFO("screen:\n" << printable(client.transcript()));
  CHECK(client.wait_exit(deadline::after_default()) == 3);
  CHECK(client.transcript().find("Connected to") == std::string::npos);
}
