// --message-wait under hostile timing: messages that arrive in pieces, with pauses just under and
// just over the wait, from many clients at once. Every unterminated message must be answered once
// its client has paused, whatever order the server's readiness events and timers come in; a
// stale readiness event (the bytes it announced already read by another path) once sent a session
// back to plain reading without its pause timer, and the reply never came.

#include "support/conversation.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace echo::test;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr std::string_view prefix = "Echo: ";

// One client's script: pieces of the alphabet and newlines, and the pause before each piece.
struct script {
  std::vector<std::string> pieces;
  std::vector<microseconds> pauses;
  std::size_t total = 0;
};

script make_script(std::mt19937& random) {
  static constexpr std::string_view alphabet = "abcdefgh\n";
  // Pauses well inside, just under, just over and well past the 5 ms message wait.
  static constexpr std::array<microseconds, 5> pauses = {microseconds(0), microseconds(500),
                                                         microseconds(4500), microseconds(5500),
                                                         microseconds(10000)};
  script s;
  const auto piece_count = std::uniform_int_distribution<int>(5, 40)(random);
  for (int i = 0; i < piece_count; ++i) {
    std::string piece(std::uniform_int_distribution<std::size_t>(1, 300)(random), '\0');
    for (char& c : piece) {
      c = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(random)];
    }
    s.total += piece.size();
    s.pieces.push_back(std::move(piece));
    s.pauses.push_back(pauses[std::uniform_int_distribution<std::size_t>(0, 4)(random)]);
  }
  return s;
}

// What the replies hold once every "Echo: " is taken out: the bytes sent, if each message was
// answered (the alphabet has no 'E', so no prefix can be forged by the data).
std::string without_prefixes(const std::string& replies) {
  std::string out;
  out.reserve(replies.size());
  for (std::size_t at = 0; at < replies.size();) {
    if (replies.compare(at, prefix.size(), prefix) == 0) {
      at += prefix.size();
    } else {
      out += replies[at++];
    }
  }
  return out;
}

struct scripted_client {
  scripted_client(tcp_client client, script s)
      : talk(std::move(client)), plan(std::move(s)), next_at(clock::now() + plan.pauses[0]) {
    const int on = 1;
    ::setsockopt(talk.client().fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }

  bool has_sent_all() const { return next_piece == plan.pieces.size() && talk.pending() == 0; }

  // Queues the pieces whose time has come; the time the last one went out starts the clock.
  void advance(clock::time_point now) {
    while (next_piece < plan.pieces.size() && now >= next_at) {
      talk.send(plan.pieces[next_piece]);
      sent += plan.pieces[next_piece];
      if (++next_piece < plan.pieces.size()) next_at = now + plan.pauses[next_piece];
    }
    if (has_sent_all() && !is_all_out) {
      is_all_out = true;
      all_out_at = now;
    }
  }

  conversation talk;
  script plan;
  std::string sent;
  std::size_t next_piece = 0;
  clock::time_point next_at;
  bool is_all_out = false;
  clock::time_point all_out_at;
  std::size_t checked_size = 0;  // of the replies, when last stripped and compared
};

}  // namespace

TEST_CASE("message-wait: a message in pieces is always answered, whatever the timing",
          "[integration][message-wait]") {
  constexpr std::size_t client_total = 5000;
  constexpr std::size_t at_once = 100;
  // Far longer than the 5 ms wait even on a loaded machine, far shorter than "never".
  constexpr auto answer_within = seconds(3);
  running_server server({"--reply", "prefix", "--message-wait", "5", "--idle-timeout", "0"});
  std::mt19937 random(20240612);

  std::deque<std::unique_ptr<scripted_client>> active;
  std::size_t started = 0;
  std::size_t answered = 0;
  std::vector<std::string> unanswered;  // what the clients that waited in vain got back
  clock::duration slowest{};
  const deadline give_up = deadline::in(seconds(60));
  std::vector<pollfd> fds;
  while ((started < client_total || !active.empty()) && !give_up.is_expired()) {
    while (active.size() < at_once && started < client_total) {
      active.push_back(std::make_unique<scripted_client>(
          tcp_client::connect(server.host(), server.port()), make_script(random)));
      ++started;
    }
    auto now = clock::now();
    auto wake = now + milliseconds(10);
    fds.clear();
    for (const auto& c : active) {
      c->advance(now);
      if (c->next_piece < c->plan.pieces.size()) wake = std::min(wake, c->next_at);
      fds.push_back({c->talk.client().fd(), c->talk.wanted_events(), 0});
    }
    const auto wait = std::max(wake - now, clock::duration::zero());
    const timespec timeout{0, static_cast<long>(std::chrono::nanoseconds(wait).count())};
    REQUIRE(::ppoll(fds.data(), fds.size(), &timeout, nullptr) >= 0);
    now = clock::now();
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents != 0) active[i]->talk.on_ready(fds[i].revents);
    }
    for (auto it = active.begin(); it != active.end();) {
      scripted_client& c = **it;
      c.advance(now);
      if (!c.is_all_out) {
        ++it;
        continue;
      }
      // Checked only when something came (or time is up): the replies are stripped anew each time.
      const bool is_late = now - c.all_out_at > answer_within;
      const bool has_news =
          std::exchange(c.checked_size, c.talk.received().size()) != c.talk.received().size();
      if (!has_news && !is_late && !c.talk.is_finished()) {
        ++it;
        continue;
      }
      const std::string replies = without_prefixes(c.talk.received());
      if (replies.size() < c.sent.size() && !is_late && !c.talk.is_finished()) {
        ++it;
        continue;
      }
      if (replies == c.sent) {
        ++answered;
        slowest = std::max(slowest, now - c.all_out_at);
      } else {
        unanswered.push_back(std::to_string(replies.size()) + " of " +
                             std::to_string(c.sent.size()) + " bytes back");
      }
      it = active.erase(it);
    }
  }
  std::string missing;
  for (const auto& u : unanswered) missing += "\n  " + u;
  INFO("clients with a reply missing or wrong " << answer_within.count()
                                                << " s after their last byte:" << missing);
  CHECK(unanswered.empty());
  CHECK(answered == client_total);
  WARN(answered << " of " << client_total << " clients answered in full; the slowest "
                << std::chrono::duration_cast<milliseconds>(slowest).count()
                << " ms after its last byte");
}
