// --workers N: N reactors on one port (SO_REUSEPORT). Every client is served by one of them, a
// signal stops them all, and the summary adds up their counters.

#include "support/conversation.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace echo::test;

TEST_CASE("workers: two reactors share the port, serve everyone, and stop together",
          "[integration][workers]") {
  running_server server({"--workers", "2", "--reply", "prefix"});
  CHECK(server.log().find("(reply prefix, 2 workers)") != std::string::npos);
  constexpr std::size_t client_count = 60;
  std::vector<std::unique_ptr<conversation>> clients;
  std::vector<conversation*> talks;
  for (std::size_t i = 0; i < client_count; ++i) {
    clients.push_back(
        std::make_unique<conversation>(tcp_client::connect(server.host(), server.port())));
    clients.back()->send("client " + std::to_string(i) + "\n");
    clients.back()->half_close_when_sent();
    talks.push_back(clients.back().get());
  }
  CHECK(drive(talks, deadline::after_default(), [&] {
    for (const auto& c : clients) {
      if (!c->is_finished()) return false;
    }
    return true;
  }));
  for (std::size_t i = 0; i < client_count; ++i) {
    CHECK(clients[i]->received() == "Echo: client " + std::to_string(i) + "\n");
  }
  REQUIRE(server.wait_for_log_count("closed ", client_count));
  CHECK(server.stop(SIGTERM) == 0);
  CHECK(server.log().find("shut down: served 60 connections") != std::string::npos);
  CHECK(server.log().find("(2 workers)") != std::string::npos);
  // Each worker heard the signal itself.
  CHECK(count_occurrences(server.log(), "shutting down") == 2);
}
