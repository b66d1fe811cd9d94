// The server driven by socat, which relays stdin to the socket and the socket to stdout.
// `-t 10`: after stdin ends socat half-closes and, by default, waits only 0.5 s for the rest of
// the reply, which a loaded machine can exceed; the server closing ends socat at once anyway.

#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

run_result socat(const running_server& server, std::string_view input,
                 const std::vector<std::string>& options = {}) {
  std::vector<std::string> argv{"socat", "-t", "10"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"-", "TCP:" + server.host() + ":" + std::to_string(server.port())});
  return run_to_exit(argv, input, deadline::in(std::chrono::seconds(30)));
}

}  // namespace

TEST_CASE("socat: echo mode returns random binary bytes intact", "[integration][socat]") {
  running_server server;
  const std::string data = random_bytes(256 * 1024, 2);
  const run_result r = socat(server, data);
  CHECK(r.exit_code == 0);
  INFO(describe_difference(data, r.out));
  CHECK(first_difference(data, r.out) == std::string::npos);
}

TEST_CASE("socat: prefix mode keeps each line's own ending", "[integration][socat]") {
  running_server server({"--reply", "prefix"});
  const run_result r = socat(server, "crlf\r\nlf\n\nlast");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Echo: crlf\r\nEcho: lf\nEcho: \nEcho: last");
}

// socat -b 7 writes at most 7 bytes at a time, so nearly every line reaches the server in pieces.
// Every line must still get exactly one whole reply. A long --message-wait keeps a stall of the
// test machine from looking like the client's pause.
TEST_CASE("socat: lines written 7 bytes at a time each get one whole reply",
          "[integration][socat]") {
  running_server server({"--reply", "prefix", "--message-wait", "5000"});
  std::string input;
  std::string expected;
  for (int i = 0; i < 500; ++i) {
    const std::string line = "line " + std::to_string(i) + " of the piecewise stream\n";
    input += line;
    expected += "Echo: " + line;
  }
  const run_result r = socat(server, input, {"-b", "7"});
  CHECK(r.exit_code == 0);
  INFO(describe_difference(expected, r.out));
  CHECK(first_difference(expected, r.out) == std::string::npos);
}
