// Clients that misbehave at the TCP level: a hundred of them, open at once, reset mid-stream
// (SO_LINGER 0), half-close early, vanish with the server's echo unread, or reset while the server
// is stuck writing to them; and port scanners that connect and leave at once. The server must
// survive all of it, log one "closed" line for each, give the well-behaved half-closers every byte,
// and serve the next client.

#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

enum class fault {
  reset_mid_stream,     // sends, reads some of the echo, sends more, then aborts with a RST
  half_close_early,     // sends, half-closes before reading anything, then reads it all back
  half_close_vanish,    // sends, half-closes and closes with the echo unread
  vanish_unread,        // sends, reads some, sends more, closes with that echo unread
  reset_while_stalled,  // fills every buffer so the server waits to write, then aborts
};
constexpr int fault_kinds = 5;
constexpr std::size_t client_count = 100;
constexpr std::size_t chunk = 64 * 1024;

const char* name_of(fault f) {
  switch (f) {
    case fault::reset_mid_stream:
      return "reset mid-stream";
    case fault::half_close_early:
      return "half-close early";
    case fault::half_close_vanish:
      return "half-close and vanish";
    case fault::vanish_unread:
      return "vanish with unread data";
    case fault::reset_while_stalled:
      return "reset while stalled";
  }
  return "?";
}

struct faulty_client {
  tcp_client client;
  fault kind;
  std::string peer;
  std::string data;
};

}  // namespace

TEST_CASE("faults: 100 clients that reset, half-close or vanish leave the server serving",
          "[integration][faults]") {
  running_server server;
  std::vector<faulty_client> clients;
  for (std::size_t i = 0; i < client_count; ++i) {
    tcp_client c = tcp_client::connect(server.host(), server.port());
    const std::string peer = c.local_endpoint();
    clients.push_back(
        {std::move(c), static_cast<fault>(i % fault_kinds), peer, random_bytes(chunk, 1000 + i)});
  }
  REQUIRE(server.wait_for_log("(100 open)"));

  for (faulty_client& c : clients) {
    INFO(name_of(c.kind) << " from " << c.peer);
    switch (c.kind) {
      case fault::reset_mid_stream:
        c.client.send_all(c.data);
        CHECK_FALSE(c.client.read(1).data.empty());  // the echo is under way
        c.client.send_all(c.data);                   // and more of it is on its way
        c.client.reset();
        break;
      case fault::half_close_early:
        c.client.send_all(c.data);
        c.client.shutdown_send();
        break;  // read back below, after the others have done their damage
      case fault::half_close_vanish:
        c.client.send_all(c.data);
        c.client.shutdown_send();
        c.client.close();
        break;
      case fault::vanish_unread:
        c.client.send_all(c.data);
        CHECK_FALSE(c.client.read(1).data.empty());
        c.client.send_all(c.data);  // its echo is left unread: closing sends a RST
        c.client.close();
        break;
      case fault::reset_while_stalled:
        CHECK(c.client.send_until_stalled(deadline::after_default(),
                                          std::chrono::milliseconds(50)) > 0);
        c.client.reset();
        break;
    }
  }

  // The well-behaved ones get every byte back, then EOF.
  for (faulty_client& c : clients) {
    if (c.kind != fault::half_close_early) continue;
    INFO(c.peer);
    const read_result r = c.client.read_until_eof();
    CHECK(r.is_eof);
    CHECK(r.error == 0);
    INFO(describe_difference(c.data, r.data));
    CHECK(first_difference(c.data, r.data) == std::string::npos);
  }

  // Port scanners: connect and leave at once, or connect and reset.
  std::vector<std::string> scanners;
  for (int i = 0; i < 20; ++i) {
    tcp_client c = tcp_client::connect(server.host(), server.port());
    scanners.push_back(c.local_endpoint());
    if (i % 2 == 0) c.reset();
  }

  // Still serving. Connections are accepted in order, so once this one is answered the scanners
  // have been accepted too (or found gone already, which logs nothing).
  tcp_client next = tcp_client::connect(server.host(), server.port());
  const std::string next_peer = next.local_endpoint();
  next.send_all("next\n");
  next.shutdown_send();
  const read_result r = next.read_until_eof();
  CHECK(r.data == "next\n");
  CHECK(r.is_eof);

  // One "closed" line for every connection, whatever way it left.
  const auto all_closed = [&](const std::string& log) {
    for (const faulty_client& c : clients) {
      if (log.find("closed " + c.peer + " after ") == std::string::npos) return false;
    }
    return log.find("closed " + next_peer + " after ") != std::string::npos &&
           count_occurrences(log, "info: closed ") ==
               count_occurrences(log, "info: connection from ");
  };
  CHECK(server.proc().wait_for_stderr(all_closed, deadline::in(std::chrono::seconds(15))));
  const std::string log = server.log();
  INFO("server log:\n" << log);
  const std::size_t opened = count_occurrences(log, "info: connection from ");
  CHECK(opened >= client_count + 1);
  CHECK(opened <= client_count + 1 + scanners.size());
  for (const faulty_client& c : clients) {
    if (c.kind != fault::half_close_early) continue;
    const std::size_t at = log.find("closed " + c.peer + " after ");
    REQUIRE(at != std::string::npos);
    CHECK_THAT(log.substr(at, log.find('\n', at) - at),
               Catch::EndsWith(": 65536 bytes in, 65536 bytes out (eof)"));
  }
  CHECK(log.find("error: ") == std::string::npos);
  std::map<std::string, int> reasons;
  for (const faulty_client& c : clients) {
    const std::size_t at = log.find("closed " + c.peer + " after ");
    const std::size_t open = log.rfind('(', log.find('\n', at));
    reasons[std::string(name_of(c.kind)) + ": " +
            log.substr(open + 1, log.find(')', open) - open - 1)]++;
  }
  std::string tally;
  for (const auto& [reason, n] : reasons) tally += "\n  " + std::to_string(n) + " x " + reason;
  WARN("faults: how the server saw each client leave:" << tally);
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(),
             Catch::Contains("shut down: served " + std::to_string(opened) + " connections, "));
}
