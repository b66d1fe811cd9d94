// --max-line: a line longer than the limit gets one error line and then EOF. The server keeps
// reading (and discarding) for a while before it closes, so a client still sending gets the
// error line and a clean EOF rather than a reset that could destroy them.

#include "support/conversation.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>

using namespace echo::test;

namespace {

constexpr std::size_t limit = 1024;
const std::string error_line = "error: line longer than 1024 bytes, closing\n";

}  // namespace

TEST_CASE("max-line: a too-long line gets the error line then EOF while the client keeps sending",
          "[integration][max-line]") {
  const auto mode = GENERATE(as<std::string>{}, "prefix", "ack");
  running_server server({"--reply", mode, "--max-line", std::to_string(limit)});
  conversation c(tcp_client::connect(server.host(), server.port()));
  const std::string peer = c.client().local_endpoint();
  // One send well past the limit, so the server's first read already holds too much.
  c.client().send_all(std::string(4 * limit, 'x'));

  const std::string more(64 * 1024, 'x');
  const bool finished = drive({&c}, deadline::after_default(), [&] {
    // Never run dry: the client is still sending when the verdict comes.
    if (c.pending() < more.size()) c.send(more);
    return c.is_finished();
  });
  REQUIRE(finished);
  CHECK(c.received() == error_line);
  CHECK(c.is_eof());
  CHECK(c.read_error() == 0);
  CHECK(c.send_error() == 0);
  CHECK(c.sent() > 0);  // beyond the first 4 KiB: it was still sending

  // The server reads on after its verdict, so what we still send is drained, not answered with a
  // reset; our EOF then ends the connection cleanly.
  c.client().send_all(more);
  c.client().shutdown_send();
  const read_result after = c.client().read_until_eof();
  CHECK(after.is_eof);
  CHECK(after.error == 0);
  CHECK(server.wait_for_log(peer + " sent a line longer than 1024 bytes; closing"));
  CHECK(server.wait_for_log(std::regex("closed " + regex_escape(peer) + " after [^\n]* " +
                                       std::to_string(error_line.size()) +
                                       " bytes out \\(line too long\\)")));
}

TEST_CASE("max-line: lines before the long one are answered first", "[integration][max-line]") {
  running_server server({"--reply", "prefix", "--max-line", std::to_string(limit)});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all("ok\n" + std::string(limit + 1, 'y') + "\n");
  const read_result r = client.read_until_eof();
  CHECK(r.data == "Echo: ok\n" + error_line);
  CHECK(r.is_eof);
  CHECK(r.error == 0);
}

TEST_CASE("max-line: a line of exactly the limit is fine", "[integration][max-line]") {
  running_server server({"--reply", "prefix", "--max-line", std::to_string(limit)});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  const std::string line = std::string(limit, 'z') + "\n";
  client.send_all(line);
  client.shutdown_send();
  const read_result r = client.read_until_eof();
  CHECK(r.data == "Echo: " + line);
  CHECK(r.is_eof);
}

TEST_CASE("max-line: the limit counts a line's content, not its CRLF", "[integration][max-line]") {
  running_server server({"--reply", "prefix", "--max-line", "10"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all("0123456789\r\n0123456789\n");
  client.shutdown_send();
  const read_result r = client.read_until_eof();
  CHECK(r.data == "Echo: 0123456789\r\nEcho: 0123456789\n");
  CHECK(r.is_eof);
}
