// Limits and timeouts: --max-connections and --max-connections-per-ip refuse a connection past
// the limit with one line and a rate-limited warning, and take new ones again when a slot frees;
// --idle-timeout closes a quiet connection but not a talking one; --write-timeout drops a client
// that never takes its replies and frees its slot. The shutdown summary counts both.

#include "support/conversation.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <vector>

using namespace echo::test;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const std::string refusal = "error: too many connections, try again later\n";

// Reads what a refused client gets: the refusal line, then EOF.
void check_refused(tcp_client& client) {
  const read_result r = client.read_until_eof();
  CHECK(r.data == refusal);
  CHECK(r.is_eof);
  CHECK(r.error == 0);
  CHECK_FALSE(r.is_timed_out);
}

// One line there and back on an open connection.
void check_echoes(tcp_client& client, const std::string& line) {
  client.send_all(line);
  const read_result r = client.read(line.size());
  CHECK(r.data == line);
  CHECK_FALSE(r.is_eof);
}

// "closed PEER after 1.234s: N bytes in, M bytes out (REASON)": the reason, or nullopt.
std::optional<std::string> closed_reason(running_server& server, const std::string& peer,
                                         deadline d = deadline::after_default()) {
  const auto match = server.wait_for_log(
      std::regex("closed " + regex_escape(peer) + " after [^\n]*\\(([^)]*)\\)\n"), d);
  if (!match) return std::nullopt;
  return (*match)[1];
}

double seconds_since(clock::time_point start) {
  return std::chrono::duration<double>(clock::now() - start).count();
}

}  // namespace

TEST_CASE(
    "limits: past --max-connections a client gets one line and EOF, and a freed slot is reused",
    "[integration][limits]") {
  running_server server({"--max-connections", "5"});
  CHECK(server.wait_for_log("at most 5 connections\n"));
  std::vector<tcp_client> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(tcp_client::connect(server.host(), server.port()));
  REQUIRE(server.wait_for_log("(5 open)"));

  tcp_client sixth = tcp_client::connect(server.host(), server.port());
  const std::string sixth_peer = sixth.local_endpoint();
  check_refused(sixth);
  CHECK(server.wait_for_log("warning: refused " + sixth_peer +
                            ": 5 connections open (--max-connections)\n"));
  CHECK(count_occurrences(server.log(), "connection from " + sixth_peer) == 0);

  // The five are still served, and one leaving makes room for a newcomer.
  for (int i = 0; i < 5; ++i) check_echoes(clients[i], "client " + std::to_string(i) + "\n");
  const std::string first_peer = clients[0].local_endpoint();
  clients[0].close();
  CHECK(closed_reason(server, first_peer) == std::optional<std::string>("eof"));
  tcp_client newcomer = tcp_client::connect(server.host(), server.port());
  check_echoes(newcomer, "newcomer\n");
  newcomer.shutdown_send();
  CHECK(newcomer.read_until_eof().is_eof);

  clients.clear();
  REQUIRE(server.stop() == 0);
  // 5 x "client N\n" (9 bytes) and "newcomer\n" (9 bytes).
  CHECK_THAT(server.log(),
             Catch::Contains("shut down: served 6 connections, 54 bytes in, 54 bytes out, "
                             "1 refused\n"));
}

TEST_CASE("limits: refusals in a flood are logged at most once a second, with a count of the rest",
          "[integration][limits]") {
  running_server server({"--max-connections", "2"});
  tcp_client a = tcp_client::connect(server.host(), server.port());
  tcp_client b = tcp_client::connect(server.host(), server.port());
  REQUIRE(server.wait_for_log("(2 open)"));

  const std::string warning = "warning: refused ";
  std::size_t refused = 0;
  const auto refuse_one = [&] {
    tcp_client c = tcp_client::connect(server.host(), server.port());
    check_refused(c);
    ++refused;
  };
  refuse_one();
  REQUIRE(server.wait_for_log(warning));
  // These come well within a second of the first: no line of their own.
  for (int i = 0; i < 3; ++i) refuse_one();
  // Keep being refused until the throttle lets the next line through (after a second).
  const deadline give_up = deadline::in(seconds(5));
  while (!server.wait_for_log_count(warning, 2, deadline::in(milliseconds(300)))) {
    REQUIRE_FALSE(give_up.is_expired());
    refuse_one();
  }
  INFO("server log:\n" << server.log());
  CHECK(count_occurrences(server.log(), warning) == 2);
  CHECK(refused >= 5);
  // The first line has no note; the second counts every refusal between the two.
  static const std::regex line(
      "warning: refused [0-9.:]+: 2 connections open \\(--max-connections\\)"
      "( \\(([0-9]+) more since the last warning\\))?\n");
  const std::string log = server.log();
  std::vector<std::string> notes;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
       ++it) {
    notes.push_back((*it)[2]);
  }
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].empty());
  CHECK(notes[1] == std::to_string(refused - 2));

  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains(", " + std::to_string(refused) + " refused\n"));
}

TEST_CASE("limits: --max-connections-per-ip refuses a third client from one address only",
          "[integration][limits]") {
  running_server server({"--max-connections-per-ip", "2"});
  CHECK(server.wait_for_log(", 2 per address\n"));
  tcp_client a = tcp_client::connect(server.host(), server.port());
  tcp_client b = tcp_client::connect(server.host(), server.port());
  REQUIRE(server.wait_for_log("(2 open)"));

  tcp_client third = tcp_client::connect(server.host(), server.port());
  const std::string third_peer = third.local_endpoint();
  check_refused(third);
  CHECK(server.wait_for_log("warning: refused " + third_peer +
                            ": 2 connections open from it (--max-connections-per-ip)\n"));

  // Another address is another budget.
  tcp_client other = tcp_client::connect_from("127.0.0.2", server.host(), server.port());
  const std::string other_peer = other.local_endpoint();
  REQUIRE(other_peer.rfind("127.0.0.2:", 0) == 0);
  check_echoes(other, "from elsewhere\n");
  CHECK(server.wait_for_log("connection from " + other_peer + " (3 open)"));

  // A slot of 127.0.0.1 frees when one of its connections closes.
  const std::string a_peer = a.local_endpoint();
  a.close();
  CHECK(closed_reason(server, a_peer) == std::optional<std::string>("eof"));
  tcp_client again = tcp_client::connect(server.host(), server.port());
  check_echoes(again, "room again\n");

  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains("served 4 connections, 26 bytes in, 26 bytes out, "
                                           "1 refused\n"));
}

TEST_CASE("limits: --idle-timeout closes a quiet connection, not a talking one",
          "[integration][limits]") {
  running_server server({"--idle-timeout", "1"});
  conversation idle(tcp_client::connect(server.host(), server.port()));
  const auto idle_start = clock::now();
  conversation talker(tcp_client::connect(server.host(), server.port()));
  const std::string idle_peer = idle.client().local_endpoint();
  const std::string talker_peer = talker.client().local_endpoint();

  // The talker sends a line every 300 ms for 3 s and must get each back; the idle one says nothing.
  constexpr int lines = 11;
  std::string expected;
  int sent = 0;
  auto next_line_at = clock::now();
  std::optional<double> idle_closed_after;
  const auto is_done = [&] {
    if (idle.is_finished() && !idle_closed_after) idle_closed_after = seconds_since(idle_start);
    return sent == lines && talker.received() == expected && idle.is_finished();
  };
  const deadline end = deadline::in(seconds(8));
  while (!is_done() && !end.is_expired()) {
    if (sent < lines && clock::now() >= next_line_at) {
      const std::string line = "still here " + std::to_string(sent++) + "\n";
      talker.send(line);
      expected += line;
      next_line_at += milliseconds(300);
    }
    drive({&idle, &talker}, sent < lines ? deadline(next_line_at).or_earlier(end) : end, is_done);
  }
  INFO("server log:\n" << server.log());
  REQUIRE(idle_closed_after);
  INFO("idle connection closed after " << *idle_closed_after << " s");
  CHECK(idle.is_eof());
  CHECK(idle.read_error() == 0);
  CHECK(idle.received().empty());
  // A sweep a second: never before the timeout, and by the first sweep a whole second after it
  // (plus scheduling slack on a loaded machine): between T and T+1 s, as docs/limits.md says.
  CHECK(*idle_closed_after >= 1.0);
  CHECK(*idle_closed_after <= 2.5);
  CHECK(closed_reason(server, idle_peer) == std::optional<std::string>("idle timeout"));

  CHECK(talker.received() == expected);
  CHECK_FALSE(talker.is_finished());
  CHECK(seconds_since(idle_start) >= 3.0);
  CHECK(count_occurrences(server.log(), "closed " + talker_peer) == 0);
  talker.client().send_all("last\n");
  CHECK(talker.client().read(5).data == "last\n");

  talker.client().close();
  CHECK(closed_reason(server, talker_peer) == std::optional<std::string>("eof"));
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains(", 1 timed out\n"));
  CHECK(count_occurrences(server.log(), "(idle timeout)") == 1);
}

TEST_CASE("limits: --write-timeout drops a client that never reads and frees its slot",
          "[integration][limits]") {
  running_server server({"--write-timeout", "1", "--max-connections", "1"});
  tcp_client hog = tcp_client::connect(server.host(), server.port());
  const std::string hog_peer = hog.local_endpoint();
  REQUIRE(server.wait_for_log("(1 open)"));
  // The one slot is taken.
  {
    tcp_client refused = tcp_client::connect(server.host(), server.port());
    check_refused(refused);
  }

  // Send and never read: once the buffers are full, the server's echo cannot be written.
  REQUIRE(hog.send_until_stalled() > 0);
  const auto stalled_at = clock::now();
  const std::string dropped = "closed " + hog_peer + " after ";
  const deadline give_up = deadline::in(seconds(8));
  // Keep pushing (the client "sends continuously") until the server gives up on it.
  while (!server.wait_for_log(dropped, deadline::in(milliseconds(100)))) {
    REQUIRE_FALSE(give_up.is_expired());
    hog.send_until_stalled(deadline::in(milliseconds(100)), milliseconds(20));
  }
  const double dropped_after = seconds_since(stalled_at);
  INFO("server log:\n" << server.log());
  INFO("dropped " << dropped_after << " s after the client stalled");
  CHECK(closed_reason(server, hog_peer) == std::optional<std::string>("write timeout"));
  CHECK(dropped_after <= 5.0);

  // Its slot is free again.
  tcp_client next = tcp_client::connect(server.host(), server.port());
  next.send_all("my turn\n");
  next.shutdown_send();
  const read_result r = next.read_until_eof();
  CHECK(r.data == "my turn\n");
  CHECK(r.is_eof);

  hog.close();
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains("served 2 connections, ") &&
                               Catch::Contains(", 1 refused, 1 timed out\n"));
}
