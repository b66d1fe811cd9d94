// The server driven by an interactive telnet on a pseudo-terminal, the way a person would: type a
// line and Enter (telnet sends it with \r\n), read the reply, then Ctrl+] and `quit`.

#include "support/pty_process.hpp"
#include "support/running_server.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace echo::test;

namespace {

constexpr const char* ctrl_right_bracket = "\x1d";

void expect_screen(pty_process& telnet, const std::string& text) {
  if (!telnet.read_until(text)) {
    FAIL("telnet never showed \"" << printable(text) << "\"; it showed:\n"
                                  << printable(telnet.transcript()));
  }
}

void type(pty_process& telnet, const std::string& keys) {
  if (!telnet.write(keys)) FAIL("could not type \"" << printable(keys) << "\" into telnet");
}

// Connects telnet to `server`, types `line` + Enter, and expects `reply` on the screen; then quits.
void type_a_line(const running_server& server, const std::string& line, const std::string& reply) {
  pty_process telnet({"telnet", server.host(), std::to_string(server.port())});
  expect_screen(telnet, "Escape character is '^]'.");
  type(telnet, line + "\r");
  expect_screen(telnet, reply);
  type(telnet, ctrl_right_bracket);
  expect_screen(telnet, "telnet> ");
  type(telnet, "quit\r");
  expect_screen(telnet, "Connection closed.");
  CHECK(telnet.wait_exit(deadline::after_default()) == 0);
}

}  // namespace

TEST_CASE("telnet: prefix mode answers a typed line", "[integration][telnet]") {
  running_server server({"--reply", "prefix"});
  type_a_line(server, "hello", "Echo: hello");
  // telnet sent "hello\r\n"; the reply kept that ending.
  CHECK(server.wait_for_log("7 bytes in, 13 bytes out (eof)"));
}

TEST_CASE("telnet: seed 001 prefix 'Server received: '", "[integration][telnet]") {
  running_server server({"--reply", "prefix", "--prefix", "Server received: "});
  type_a_line(server, "Hi there", "Server received: Hi there");
}

TEST_CASE("telnet: ack mode answers a typed line with ACK!", "[integration][telnet]") {
  running_server server({"--reply", "ack"});
  type_a_line(server, "hello", "ACK!");
  CHECK(server.wait_for_log("7 bytes in, 6 bytes out (eof)"));
}

TEST_CASE("telnet: echo mode repeats a typed line", "[integration][telnet]") {
  running_server server;
  // The terminal echoes "hello\r\n" as typed; the server's copy is the second one.
  type_a_line(server, "hello", "hello\r\nhello");
  CHECK(server.wait_for_log("7 bytes in, 7 bytes out (eof)"));
}
