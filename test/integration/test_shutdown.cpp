// Graceful shutdown with connections open: SIGTERM or SIGINT stops accepting, lets pending writes
// finish (for at most the 2 s grace), closes everything, logs the summary and exits 0.

#include "support/conversation.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

constexpr std::size_t mib = 1024 * 1024;
// How long a pending write may hold up the shutdown (server::shutdown_grace), and a limit with
// room for a loaded machine.
constexpr std::chrono::seconds grace{2};
constexpr std::chrono::seconds exit_limit{5};

std::vector<tcp_client> connect_idle(const running_server& server, std::size_t count) {
  std::vector<tcp_client> idle;
  for (std::size_t i = 0; i < count; ++i)
    idle.push_back(tcp_client::connect(server.host(), server.port()));
  return idle;
}

void check_summary(const running_server& server, std::size_t connections) {
  CHECK_THAT(server.log(),
             Catch::Contains("shut down: served " + std::to_string(connections) +
                             (connections == 1 ? " connection, " : " connections, ")));
}

}  // namespace

TEST_CASE("shutdown: SIGTERM with idle clients and one mid-transfer exits 0",
          "[integration][shutdown]") {
  running_server server;
  std::vector<tcp_client> idle = connect_idle(server, 3);
  conversation busy(tcp_client::connect(server.host(), server.port()));
  const std::string stream = random_bytes(64 * mib, 9);
  for (std::size_t at = 0; at < stream.size(); at += mib) busy.send(stream.substr(at, mib));
  REQUIRE(server.wait_for_log("(4 open)"));
  REQUIRE(drive({&busy}, deadline::after_default(),
                [&] { return busy.received().size() >= 2 * mib || busy.is_finished(); }));
  REQUIRE_FALSE(busy.is_finished());

  const auto signalled = clock::now();
  server.proc().signal(SIGTERM);
  // Keep reading, as a live client would: the server finishes its pending write, then closes.
  CHECK(drive_to_end(busy, deadline::in(exit_limit)));
  // Cut short, but what did arrive is the stream's beginning, intact.
  INFO(describe_difference(stream.substr(0, busy.received().size()), busy.received()));
  CHECK(first_difference(stream, busy.received()) == busy.received().size());
  for (tcp_client& client : idle) {
    const read_result r = client.read_until_eof(deadline::in(exit_limit));
    CHECK(r.is_eof);
    CHECK(r.data.empty());
  }
  CHECK(server.wait_exit(deadline(signalled + exit_limit)) == 0);
  check_summary(server, 4);
  CHECK(count_occurrences(server.log(), "(shutdown)") == 4);
}

TEST_CASE("shutdown: SIGINT with a client that never reads exits 0 after the grace",
          "[integration][shutdown]") {
  running_server server;
  std::vector<tcp_client> idle = connect_idle(server, 2);
  tcp_client stalled = tcp_client::connect(server.host(), server.port());
  REQUIRE(server.wait_for_log("(3 open)"));
  CHECK(stalled.send_until_stalled() > 0);

  const auto signalled = clock::now();
  server.proc().signal(SIGINT);
  CHECK(server.wait_exit(deadline(signalled + exit_limit)) == 0);
  // The idle clients were closed at once, but the write to the stalled one was given the grace.
  CHECK(clock::now() - signalled >= grace);
  check_summary(server, 3);
  // However it ended for the stalled client, its connection is gone.
  const read_result r = stalled.read_until_eof(deadline::after_default());
  CHECK((r.is_eof || r.error != 0));
}

TEST_CASE("shutdown: a second SIGINT closes everything at once", "[integration][shutdown]") {
  running_server server;
  tcp_client stalled = tcp_client::connect(server.host(), server.port());
  REQUIRE(server.wait_for_log("(1 open)"));
  stalled.send_until_stalled();

  server.proc().signal(SIGINT);
  REQUIRE(server.wait_for_log("shutting down"));
  const auto second = clock::now();
  server.proc().signal(SIGINT);
  // Well inside the 2 s grace that a single signal would have waited for a pending write.
  CHECK(server.wait_exit(deadline(second + std::chrono::milliseconds(1500))) == 0);
  check_summary(server, 1);
}

TEST_CASE("shutdown: SIGTERM with no connections exits 0 at once", "[integration][shutdown]") {
  running_server server({"-q"});
  CHECK(server.stop(SIGTERM) == 0);
  CHECK_THAT(server.log(),
             Catch::Contains("shut down: served 0 connections, 0 bytes in, 0 bytes out"));
}
