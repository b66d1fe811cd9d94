#pragma once
// The pause race's scenario, shared by the plain and the TLS test: "hel", "lo wo" and "rld" sent
// 30 ms apart (each before the previous one's pause ends) must be answered once, whole, after the
// last piece's pause. A Client has send(text), and the received text and arrival times.

#include "test/inprocess/harness.hpp"

#include <catch2/catch.hpp>

#include <chrono>

namespace echo::test {

// prefix mode with this --message-wait, on a local port.
inline server_options prefix_options(std::chrono::milliseconds wait) {
  server_options options = local_options();
  options.reply.mode = reply_mode::prefix;
  options.message_wait = wait;
  return options;
}

template <class Client>
void check_pieces_answered_once(harness& h, Client& c, std::chrono::milliseconds wait) {
  using namespace std::chrono_literals;
  c.send("hel");
  h.run_for(30ms);
  REQUIRE(c.received.empty());
  c.send("lo wo");
  h.run_for(30ms);
  REQUIRE(c.received.empty());  // not answered at the first piece's pause
  c.send("rld");
  const clock::time_point last_piece = clock::now();
  REQUIRE(h.run_until([&] { return !c.received.empty(); }, 2000ms));
  const clock::time_point answered = c.arrivals.front();
  // Answered after the last piece's pause, not at an earlier one, and not long after.
  CHECK(answered - last_piece >= wait);
  CHECK(answered - last_piece < wait + 500ms);
  // Exactly once: nothing more comes in several further pauses.
  h.run_for(4 * wait);
  CHECK(c.received == "Echo: hello world");  // a message without newline: no newline added
  CHECK(c.arrivals.size() == 1);
  CHECK(h.counters().messages == 1);
}

}  // namespace echo::test
