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

// --max-connections is the process's limit, not each worker's: the kernel may hand every
// connection to a different worker, and still no more than the limit are served.
TEST_CASE("workers: --max-connections holds for the whole process, not per worker",
          "[integration][workers]") {
  running_server server({"--workers", "4", "--max-connections", "2"});
  CHECK(server.wait_for_log(", at most 2 connections\n"));
  // Eight connections: with a per-worker limit, SO_REUSEPORT would spread them over more than two
  // of the four workers almost always (all on two or fewer: about 2% of runs).
  constexpr std::size_t client_count = 8;
  const std::string refusal = "error: too many connections, try again later\n";
  std::vector<std::unique_ptr<conversation>> clients;
  std::vector<conversation*> talks;
  for (std::size_t i = 0; i < client_count; ++i) {
    clients.push_back(
        std::make_unique<conversation>(tcp_client::connect(server.host(), server.port())));
    talks.push_back(clients.back().get());
  }
  // A refused client reads the refusal line and EOF at once; a served one reads nothing yet.
  std::size_t refused = 0;
  const auto count_refused = [&] {
    refused = 0;
    for (const auto& c : clients) refused += c->is_eof() && c->received() == refusal ? 1 : 0;
    return refused;
  };
  CHECK(drive(talks, deadline::after_default(), [&] {
    return count_refused() == client_count - 2 &&
           count_occurrences(server.log(), "connection from") == 2;
  }));
  INFO("server log:\n" << server.log());
  CHECK(refused == client_count - 2);
  CHECK(count_occurrences(server.log(), "connection from") == 2);
  // The two served ones echo.
  std::size_t served = 0;
  for (std::size_t i = 0; i < client_count; ++i) {
    if (clients[i]->is_finished()) continue;
    clients[i]->send("client " + std::to_string(i) + "\n");
    clients[i]->half_close_when_sent();
    CHECK(drive_to_end(*clients[i], deadline::after_default()));
    CHECK(clients[i]->received() == "client " + std::to_string(i) + "\n");
    ++served;
  }
  CHECK(served == 2);
  clients.clear();
  REQUIRE(server.wait_for_log_count("closed ", 2));
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains("shut down: served 2 connections, ") &&
                               Catch::Contains(", 6 refused (4 workers)\n"));
}
