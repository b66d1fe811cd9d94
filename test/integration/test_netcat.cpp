// The server driven by OpenBSD netcat, the way people try it from a shell:
// printf 'hello\n' | nc -N 127.0.0.1 PORT. With -N, nc half-closes after its stdin ends and
// prints whatever comes back until the server closes.

#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace echo::test;

namespace {

run_result netcat(const running_server& server, std::string_view input,
                  deadline d = deadline::after_default()) {
  return run_to_exit({"nc", "-N", server.host(), std::to_string(server.port())}, input, d);
}

}  // namespace

TEST_CASE("nc: echo mode returns a line byte for byte", "[integration][netcat]") {
  running_server server;
  const run_result r = netcat(server, "hello\n");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "hello\n");
  CHECK(server.wait_for_log("6 bytes in, 6 bytes out (eof)"));
}

TEST_CASE("nc: echo mode returns 1 MiB of random binary bytes intact", "[integration][netcat]") {
  running_server server;
  const std::string data = random_bytes(1024 * 1024, 1);
  const run_result r = netcat(server, data, deadline::in(std::chrono::seconds(30)));
  CHECK(r.exit_code == 0);
  INFO(describe_difference(data, r.out));
  CHECK(first_difference(data, r.out) == std::string::npos);
  CHECK(server.wait_for_log("1048576 bytes in, 1048576 bytes out (eof)"));
}

TEST_CASE("nc: prefix mode puts Echo: before each line", "[integration][netcat]") {
  running_server server({"--reply", "prefix"});
  const run_result r = netcat(server, "hello\nworld\r\n");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Echo: hello\nEcho: world\r\n");
}

TEST_CASE("nc: ack mode answers ACK! to each line", "[integration][netcat]") {
  running_server server({"--reply", "ack"});
  const run_result r = netcat(server, "one\ntwo\r\n\n");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "ACK!\nACK!\r\nACK!\n");
}

TEST_CASE("nc: ack mode with a custom --ack", "[integration][netcat]") {
  running_server server({"--reply", "ack", "--ack", "got it"});
  CHECK(netcat(server, "hello\n").out == "got it\n");
}

// The seed scenarios: a client sends "Hello, Server!" without a newline.
TEST_CASE("nc: seed 000 prefix mode answers an unterminated message", "[integration][netcat]") {
  running_server server({"--reply", "prefix"});
  const run_result r = netcat(server, "Hello, Server!");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Echo: Hello, Server!");
}

TEST_CASE("nc: seed 001 prefix mode with a custom --prefix", "[integration][netcat]") {
  running_server server({"--reply", "prefix", "--prefix", "Server received: "});
  const run_result r = netcat(server, "Hello, Server!");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Server received: Hello, Server!");
}

// Seeds 002 and 004 use nc without -N: nc never half-closes, so the server must answer the
// unterminated message after the client's pause, then close for nc to exit.
TEST_CASE("nc: seed 002 ack --once answers exactly ACK! and closes", "[integration][netcat]") {
  running_server server({"--reply", "ack", "--once"});
  const run_result r =
      run_to_exit({"nc", server.host(), std::to_string(server.port())}, "Hello, Server!");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "ACK!");
}

TEST_CASE("nc: seed 004 echo --once echoes one message and closes", "[integration][netcat]") {
  running_server server({"--once"});
  const std::string message = "Hello server, this is from the client";
  const run_result r = run_to_exit({"nc", server.host(), std::to_string(server.port())}, message);
  CHECK(r.exit_code == 0);
  CHECK(r.out == message);
}

TEST_CASE("nc: seed 003 interactive nc gets each line back as it is typed",
          "[integration][netcat]") {
  running_server server;
  process nc({"nc", server.host(), std::to_string(server.port())}, stdio_pipes{true, true, true});
  REQUIRE(nc.write_stdin("one\n", deadline::after_default()));
  CHECK(nc.read_stdout_until("one\n", deadline::after_default()));
  REQUIRE(nc.write_stdin("two\n", deadline::after_default()));
  CHECK(nc.read_stdout_until("one\ntwo\n", deadline::after_default()));
  // Ctrl+D: without -N, nc keeps the connection open and ends once the server closes it, which
  // stopping the server does.
  nc.close_stdin();
  CHECK(server.stop() == 0);
  CHECK(nc.wait_exit(deadline::after_default()) == 0);
  CHECK(nc.stdout_text() == "one\ntwo\n");
}
