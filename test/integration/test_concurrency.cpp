// Many clients at once on the one-threaded reactor: 200 connections open together, each sending
// 50 lines in its own rhythm, and every reply must be right and in order. One poll loop in the
// test drives all the clients.

#include "support/conversation.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

constexpr std::size_t client_count = 200;
constexpr std::size_t lines_per_client = 50;

enum class rhythm {
  all_at_once,    // every line in one send, then half-close
  line_by_line,   // one send per line, without waiting for replies, then half-close
  request_reply,  // one line, wait for its reply, the next line; half-close after the last reply
};

std::string line_of(std::size_t client, std::size_t n) {
  return "client " + std::to_string(client) + " says line " + std::to_string(n) + "\n";
}

struct scripted_client {
  scripted_client(tcp_client client, std::size_t index)
      : talk(std::move(client)), id(index), style(static_cast<rhythm>(index % 3)) {}

  // Queues what this client's rhythm allows now.
  void advance() {
    if (style == rhythm::all_at_once && lines_sent == 0) {
      std::string all;
      for (std::size_t n = 0; n < lines_per_client; ++n) all += line_of(id, n);
      talk.send(all);
      lines_sent = lines_per_client;
    } else if (style == rhythm::line_by_line) {
      for (; lines_sent < lines_per_client; ++lines_sent) talk.send(line_of(id, lines_sent));
    } else if (style == rhythm::request_reply && lines_sent < lines_per_client &&
               replies() == lines_sent) {
      talk.send(line_of(id, lines_sent++));
    }
    if (lines_sent == lines_per_client &&
        (style != rhythm::request_reply || replies() == lines_per_client)) {
      talk.half_close_when_sent();
    }
  }

  // Replies so far, counted incrementally: this runs after every poll round.
  std::size_t replies() {
    const std::string& received = talk.received();
    reply_count += static_cast<std::size_t>(
        std::count(received.begin() + static_cast<std::ptrdiff_t>(counted), received.end(), '\n'));
    counted = received.size();
    return reply_count;
  }

  conversation talk;
  std::size_t id;
  rhythm style;
  std::size_t lines_sent = 0;
  std::size_t counted = 0;
  std::size_t reply_count = 0;
};

}  // namespace

TEST_CASE("concurrency: 200 clients at once each get all 50 replies right",
          "[integration][concurrency]") {
  running_server server({"--reply", "prefix"});
  std::vector<std::unique_ptr<scripted_client>> clients;
  std::vector<conversation*> talks;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  for (std::size_t i = 0; i < client_count; ++i) {
    clients.push_back(
        std::make_unique<scripted_client>(tcp_client::connect(server.host(), server.port()), i));
    talks.push_back(&clients.back()->talk);
    for (std::size_t n = 0; n < lines_per_client; ++n) {
      bytes_in += line_of(i, n).size();
      bytes_out += line_of(i, n).size() + 6;  // "Echo: "
    }
  }
  // Nobody has sent anything yet, so all of them are open at the same time.
  REQUIRE(server.wait_for_log("(200 open)"));

  const bool all_done = drive(talks, deadline::in(std::chrono::seconds(60)), [&] {
    bool done = true;
    for (auto& c : clients) {
      c->advance();
      done = done && c->talk.is_finished();
    }
    return done;
  });
  CHECK(all_done);

  std::vector<std::string> failures;
  for (const auto& c : clients) {
    std::string expected;
    for (std::size_t n = 0; n < lines_per_client; ++n) expected += "Echo: " + line_of(c->id, n);
    if (!c->talk.is_eof() || c->talk.read_error() != 0 || c->talk.received() != expected) {
      failures.push_back("client " + std::to_string(c->id) + " (rhythm " +
                         std::to_string(static_cast<int>(c->style)) +
                         "): eof=" + std::to_string(c->talk.is_eof()) +
                         " read_error=" + std::to_string(c->talk.read_error()) + "; " +
                         describe_difference(expected, c->talk.received()));
    }
  }
  INFO(failures.size() << " clients failed; the first: "
                       << (failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());

  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(),
             Catch::Contains("shut down: served 200 connections, " + std::to_string(bytes_in) +
                             " bytes in, " + std::to_string(bytes_out) + " bytes out"));
}
