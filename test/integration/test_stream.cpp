// Plain echo as a byte stream: a large transfer sent and read at the same time, then a
// half-close, must come back whole and in order; a client that aborts mid-transfer must not
// disturb the server.

#include "support/conversation.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <regex>
#include <string>

using namespace echo::test;

namespace {

constexpr std::size_t mib = 1024 * 1024;

// Queues `data` in 1 MiB pieces, so each piece's memory is freed once it is sent.
void queue_in_pieces(conversation& c, const std::string& data) {
  for (std::size_t at = 0; at < data.size(); at += mib) c.send(data.substr(at, mib));
}

void check_still_serving(const running_server& server) {
  tcp_client next = tcp_client::connect(server.host(), server.port());
  next.send_all("still here\n");
  next.shutdown_send();
  const read_result r = next.read_until_eof();
  CHECK(r.is_eof);
  CHECK(r.data == "still here\n");
}

}  // namespace

TEST_CASE("stream: 64 MiB with a half-close comes back whole and in order",
          "[integration][stream]") {
  running_server server;
  const std::string data = random_bytes(64 * mib, 64);
  conversation c(tcp_client::connect(server.host(), server.port()));
  const std::string peer = c.client().local_endpoint();
  queue_in_pieces(c, data);
  c.half_close_when_sent();

  REQUIRE(drive_to_end(c, deadline::in(std::chrono::seconds(60))));
  CHECK(c.is_eof());
  CHECK(c.read_error() == 0);
  CHECK(c.send_error() == 0);
  CHECK(c.sent() == data.size());
  INFO(describe_difference(data, c.received()));
  CHECK(first_difference(data, c.received()) == std::string::npos);
  CHECK(server.wait_for_log("closed " + peer));
  CHECK(server.wait_for_log("67108864 bytes in, 67108864 bytes out (eof)"));
}

TEST_CASE("stream: a client that resets mid-transfer leaves the server serving others",
          "[integration][stream]") {
  running_server server;
  {
    conversation aborter(tcp_client::connect(server.host(), server.port()));
    const std::string peer = aborter.client().local_endpoint();
    queue_in_pieces(aborter, random_bytes(32 * mib, 7));
    // Mid-transfer: well into the stream, with more still to send.
    REQUIRE(drive({&aborter}, deadline::after_default(),
                  [&] { return aborter.received().size() >= mib || aborter.is_finished(); }));
    REQUIRE_FALSE(aborter.is_finished());
    REQUIRE(aborter.pending() > 0);
    aborter.client().reset();
    // As docs/server.md promises: a reset costs the server nothing but this line.
    const auto closed = server.wait_for_log(
        std::regex("closed " + regex_escape(peer) + " after [^\n]*\\(([^)]*)\\)\n"));
    REQUIRE(closed);
    CHECK((*closed)[1] == "reset by peer");
  }
  check_still_serving(server);
}

TEST_CASE("stream: a client that resets while the server waits to write to it is let go",
          "[integration][stream]") {
  running_server server;
  {
    tcp_client stalled = tcp_client::connect(server.host(), server.port());
    const std::string peer = stalled.local_endpoint();
    CHECK(stalled.send_until_stalled() > 0);
    stalled.reset();
    const auto closed = server.wait_for_log(
        std::regex("closed " + regex_escape(peer) + " after [^\n]*\\(([^)]*)\\)\n"));
    REQUIRE(closed);
    CHECK((*closed)[1] == "reset by peer");
  }
  check_still_serving(server);
}
