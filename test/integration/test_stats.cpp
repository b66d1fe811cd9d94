// The live stats line: SIGUSR1 logs "stats: connections_active=... connections_total=...
// bytes_in=... bytes_out=... refused=... timed_out=..." once, even under -q; --workers sums every
// reactor into one line; --stats-interval logs it periodically.

#include "support/conversation.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

const std::regex stats_line(
    R"(stats: connections_active=([0-9]+) connections_total=([0-9]+) bytes_in=([0-9]+) )"
    R"(bytes_out=([0-9]+) refused=([0-9]+) timed_out=([0-9]+)\n)");

// The counters of the `nth` stats line (1-based) in the log, waiting for it with a deadline;
// empty when it does not come.
std::map<std::string, unsigned long long> wait_for_stats(running_server& server, std::size_t nth) {
  std::map<std::string, unsigned long long> counters;
  if (!server.wait_for_log_count("stats: ", nth)) return counters;
  const std::string log = server.log();
  auto it = std::sregex_iterator(log.begin(), log.end(), stats_line);
  for (std::size_t i = 1; i < nth && it != std::sregex_iterator(); ++i) ++it;
  if (it == std::sregex_iterator()) return counters;
  const char* names[] = {"connections_active", "connections_total", "bytes_in",
                         "bytes_out",          "refused",           "timed_out"};
  for (std::size_t i = 0; i < 6; ++i) counters[names[i]] = std::stoull((*it)[i + 1]);
  return counters;
}

// Sends SIGUSR1 and reads the line it brings, again until `is_settled` holds for the counters or
// the deadline passes; returns the last counters (empty if a line did not come). A session adds
// the bytes it wrote just after the write, so a client can hold its echo a moment before the
// counter shows it. `signals` counts the SIGUSR1s sent (and lines read).
template <class IsSettled>
std::map<std::string, unsigned long long> signal_until(running_server& server, std::size_t& signals,
                                                       IsSettled is_settled) {
  const deadline d = deadline::after_default();
  std::map<std::string, unsigned long long> counters;
  do {
    server.proc().signal(SIGUSR1);
    counters = wait_for_stats(server, ++signals);
  } while (!counters.empty() && !is_settled(counters) && !d.is_expired());
  return counters;
}

}  // namespace

TEST_CASE("stats: SIGUSR1 logs the counters of a server with an open connection",
          "[integration][stats]") {
  running_server server({"--max-connections", "2"});
  tcp_client open = tcp_client::connect(server.host(), server.port());
  const std::string message(1000, 'x');
  open.send_all(message);
  CHECK(open.read(message.size()).data == message);
  {
    // A second, finished connection.
    tcp_client done = tcp_client::connect(server.host(), server.port());
    done.send_all("hello\n");
    done.shutdown_send();
    CHECK(done.read_until_eof().data == "hello\n");
  }
  // Then a second open one, and a third connection, refused by --max-connections 2.
  REQUIRE(server.wait_for_log("closed "));
  tcp_client second = tcp_client::connect(server.host(), server.port());
  second.send_all("z");
  CHECK(second.read(1).data == "z");
  tcp_client refused = tcp_client::connect(server.host(), server.port());
  CHECK(refused.read_until_eof().is_eof);

  std::size_t signals = 0;
  const auto counters =
      signal_until(server, signals, [](const auto& c) { return c.at("bytes_out") == 1007; });
  INFO(server.log());
  REQUIRE_FALSE(counters.empty());
  CHECK(counters.at("connections_active") == 2);
  CHECK(counters.at("connections_total") == 3);
  CHECK(counters.at("bytes_in") == 1000 + 6 + 1);
  CHECK(counters.at("bytes_out") == 1000 + 6 + 1);
  CHECK(counters.at("refused") == 1);
  CHECK(counters.at("timed_out") == 0);
  // Exactly one line per signal, and the server goes on serving.
  CHECK(count_occurrences(server.log(), "stats: ") == signals);
  open.send_all("y");
  CHECK(open.read(1).data == "y");
}

TEST_CASE("stats: the SIGUSR1 line shows under --quiet and counts timeouts",
          "[integration][stats]") {
  running_server server({"-q", "--idle-timeout", "1"});
  tcp_client idle = tcp_client::connect(server.host(), server.port());
  CHECK(idle.read_until_eof().is_eof);  // closed by the idle timeout
  server.proc().signal(SIGUSR1);
  const auto counters = wait_for_stats(server, 1);
  REQUIRE_FALSE(counters.empty());
  CHECK(counters.at("timed_out") == 1);
  CHECK(counters.at("connections_active") == 0);
  CHECK(counters.at("connections_total") == 1);
}

TEST_CASE("stats: with --workers 2 one SIGUSR1 gives one line summing both workers",
          "[integration][stats]") {
  running_server server({"--workers", "2"});
  constexpr std::size_t client_count = 40;
  std::vector<std::unique_ptr<conversation>> clients;
  std::vector<conversation*> talks;
  std::uint64_t sent = 0;
  for (std::size_t i = 0; i < client_count; ++i) {
    clients.push_back(
        std::make_unique<conversation>(tcp_client::connect(server.host(), server.port())));
    const std::string line = "client " + std::to_string(i) + "\n";
    sent += line.size();
    clients.back()->send(line);
    talks.push_back(clients.back().get());
  }
  // Every client has its echo and stays connected.
  CHECK(drive(talks, deadline::after_default(), [&] {
    std::uint64_t received = 0;
    for (const auto& c : clients) received += c->received().size();
    return received == sent;
  }));
  REQUIRE(server.wait_for_log_count("connection from", client_count));

  std::size_t signals = 0;
  const auto counters =
      signal_until(server, signals, [&](const auto& c) { return c.at("bytes_out") == sent; });
  INFO(server.log());
  REQUIRE_FALSE(counters.empty());
  CHECK(counters.at("connections_active") == client_count);
  CHECK(counters.at("connections_total") == client_count);
  CHECK(counters.at("bytes_in") == sent);
  CHECK(counters.at("bytes_out") == sent);
  // One line for the process, not one per worker: one more signal, one more line.
  server.proc().signal(SIGUSR1);
  REQUIRE_FALSE(wait_for_stats(server, signals + 1).empty());
  CHECK(count_occurrences(server.log(), "stats: ") == signals + 1);
}

TEST_CASE("stats: --stats-interval 1 logs the line every second", "[integration][stats]") {
  running_server server({"--stats-interval", "1", "-q"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all("abc");
  CHECK(client.read(3).data == "abc");
  const auto third = wait_for_stats(server, 3);
  INFO(server.log());
  REQUIRE_FALSE(third.empty());
  CHECK(third.at("connections_active") == 1);
  CHECK(third.at("bytes_in") == 3);
  CHECK(third.at("bytes_out") == 3);
}

TEST_CASE("stats: --stats-interval with --workers logs one line per interval",
          "[integration][stats]") {
  running_server server({"--stats-interval", "1", "--workers", "2"});
  REQUIRE_FALSE(wait_for_stats(server, 3).empty());
  CHECK(server.stop() == 0);
  // Had each worker its own timer, the lines would come in pairs a few milliseconds apart.
  const std::string log = server.log();
  std::vector<long> at_ms;
  const std::regex stamp(R"(T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3})Z info: stats: )");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), stamp); it != std::sregex_iterator();
       ++it) {
    at_ms.push_back(((std::stol((*it)[1]) * 60 + std::stol((*it)[2])) * 60 + std::stol((*it)[3])) *
                        1000 +
                    std::stol((*it)[4]));
  }
  INFO(log);
  REQUIRE(at_ms.size() >= 3);
  for (std::size_t i = 1; i < at_ms.size(); ++i) {
    const long gap = at_ms[i] - at_ms[i - 1];
    if (gap < 0) continue;  // midnight
    CHECK(gap >= 500);
  }
}
