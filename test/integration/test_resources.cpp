// Out of file descriptors, the accept loop neither dies nor spins: under `ulimit -n 64` with 200
// clients arriving, the server serves as many as its descriptors allow; each client it cannot
// take is accepted on a descriptor kept spare, told "error: too many connections", and closed at
// once (rather than left waiting in the backlog); the server then waits for the next client
// without polling, and serves new clients as soon as descriptors are free again.

#include "support/child.hpp"
#include "support/conversation.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace echo::test;

TEST_CASE("resources: out of descriptors the server refuses at once, idles, and recovers",
          "[integration][resources]") {
#ifdef ECHO_TEST_SANITIZED
  // UBSan's vptr check reads memory through a pipe() it opens on the spot; in a process out of
  // descriptors that fails, and UBSan reports "invalid vptr" in boost::system's error_category.
  WARN("skipped under the sanitizers: UBSan needs a free descriptor to check a vptr");
  return;
#endif
  if (!find_program("prlimit")) {
    WARN("skipped: prlimit (util-linux) is not installed");
    return;
  }
  // Under `ulimit -n 64` (hard and soft: the server cannot raise it), a dozen descriptors go before
  // the first client (stdio, epoll, timers, signal pipe, acceptor, the spare), which leaves room
  // for about fifty clients. Two hundred arrive and stay.
  running_server server({"--reply", "prefix"}, {"prlimit", "--nofile=64", "--"});
  CHECK(server.wait_for_log("capacity: 64 descriptors, at most 1000 connections\n"));
  constexpr std::size_t client_count = 200;
  std::vector<std::unique_ptr<conversation>> clients;
  std::vector<conversation*> talks;
  for (std::size_t i = 0; i < client_count; ++i) {
    clients.push_back(
        std::make_unique<conversation>(tcp_client::connect(server.host(), server.port())));
    talks.push_back(clients.back().get());
  }
  REQUIRE(server.wait_for_log("cannot accept: too many open files; refused a connection"));

  // Everyone who was not taken hears why and is closed; the ones taken stay open and idle.
  const std::string refusal = "error: too many connections, try again later\n";
  const auto is_refused = [&](const conversation& c) {
    return c.is_eof() && c.received() == refusal;
  };
  std::size_t refused = 0;
  CHECK(drive(talks, deadline::in(std::chrono::seconds(10)), [&] {
    refused = 0;
    for (const auto& c : clients) refused += is_refused(*c) ? 1 : 0;
    return refused < client_count && server.log().find("refused") != std::string::npos &&
           count_occurrences(server.log(), "connection from") + refused == client_count;
  }));
  INFO("server log:\n" << server.log());
  const std::size_t served = client_count - refused;
  WARN("under ulimit -n 64: served " << served << " of " << client_count << ", refused "
                                     << refused);
  // Up to its capacity: most of the 64 descriptors hold clients, and no more than that.
  CHECK(served >= 40);
  CHECK(served < 64);
  // No third kind of ending: a client is either served (open, nothing read) or refused.
  for (const auto& c : clients) {
    if (is_refused(*c)) continue;
    CHECK_FALSE(c->is_finished());
    CHECK(c->received().empty());
  }

  // Still out of descriptors, with nobody waiting: the server must sleep, not poll accept().
  const std::uint64_t cpu_before = cpu_ticks(server.proc().pid());
  const auto window = deadline::in(std::chrono::seconds(1));
  while (!window.is_expired()) drive(talks, window, [] { return false; });
  const std::uint64_t cpu_after = cpu_ticks(server.proc().pid());
  CHECK(cpu_after - cpu_before <= 5);  // clock ticks (1/100 s): at most 5% of one core
  WARN("CPU while out of descriptors: " << cpu_after - cpu_before << " ticks in 1 s");

  // The clients it took are served in full; once they leave, new clients are served again.
  for (std::size_t i = 0; i < client_count; ++i) {
    if (is_refused(*clients[i])) continue;
    clients[i]->send("client " + std::to_string(i) + "\n");
    clients[i]->half_close_when_sent();
  }
  CHECK(drive(talks, deadline::in(std::chrono::seconds(10)), [&] {
    for (const auto& c : clients) {
      if (!c->is_finished()) return false;
    }
    return true;
  }));
  for (std::size_t i = 0; i < client_count; ++i) {
    if (is_refused(*clients[i])) continue;
    CHECK(clients[i]->received() == "Echo: client " + std::to_string(i) + "\n");
  }
  CHECK(server.wait_for_log_count("closed ", served));
  tcp_client again = tcp_client::connect(server.host(), server.port());
  again.send_all("again\n");
  again.shutdown_send();
  CHECK(again.read_until_eof().data == "Echo: again\n");

  // Recovered: once those are gone, a whole new batch as large as the first fits again.
  CHECK(server.wait_for_log_count("closed ", served + 1));
  std::vector<tcp_client> batch;
  for (std::size_t i = 0; i < served; ++i) {
    batch.push_back(tcp_client::connect(server.host(), server.port()));
  }
  for (std::size_t i = 0; i < served; ++i) batch[i].send_all("batch " + std::to_string(i) + "\n");
  for (std::size_t i = 0; i < served; ++i) {
    const std::string reply = "Echo: batch " + std::to_string(i) + "\n";
    CHECK(batch[i].read(reply.size()).data == reply);
  }
  batch.clear();
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains("shut down: served " + std::to_string(2 * served + 1) +
                                           " connections, ") &&
                               Catch::Contains(", " + std::to_string(refused) + " refused\n"));
}
