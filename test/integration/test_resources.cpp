// Out of file descriptors, the accept loop neither dies nor spins: it logs (at most once a
// second), retries every 100 ms, and serves the waiting clients once descriptors are free again.

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

TEST_CASE("resources: out of descriptors the server waits and then serves everyone",
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
  // About 9 descriptors are taken before the first client (stdio, epoll, timers, signal pipe,
  // acceptor), which leaves room for a handful of clients at a time.
  running_server server({"--reply", "prefix"}, {"prlimit", "--nofile=16", "--"});
  constexpr std::size_t client_count = 24;
  std::vector<std::unique_ptr<conversation>> clients;
  std::vector<conversation*> talks;
  for (std::size_t i = 0; i < client_count; ++i) {
    clients.push_back(
        std::make_unique<conversation>(tcp_client::connect(server.host(), server.port())));
    talks.push_back(clients.back().get());
  }
  // Idle clients hold their descriptors, so the server must run out while accepting them.
  REQUIRE(server.wait_for_log("cannot accept: too many open files; retrying"));
  const auto ran_out = clock::now();

  for (std::size_t i = 0; i < client_count; ++i) {
    clients[i]->send("client " + std::to_string(i) + "\n");
    clients[i]->half_close_when_sent();
  }
  CHECK(drive(talks, deadline::in(std::chrono::seconds(30)), [&] {
    for (const auto& c : clients) {
      if (!c->is_finished()) return false;
    }
    return true;
  }));
  INFO("server log:\n" << server.log());
  for (std::size_t i = 0; i < client_count; ++i) {
    INFO("client " << i << ": read error " << clients[i]->read_error());
    CHECK(clients[i]->received() == "Echo: client " + std::to_string(i) + "\n");
    CHECK(clients[i]->is_eof());
  }
  // Rate-limited: one line per started second of trouble, not one per retry.
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(clock::now() - ran_out);
  CHECK(count_occurrences(server.log(), "cannot accept") <=
        static_cast<std::size_t>(seconds.count()) + 2);
  CHECK(server.wait_for_log_count("closed ", client_count));
}
