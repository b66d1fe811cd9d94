// Debian's haproxy in front of two `echo-server --proxy-protocol`, configured by deploy/haproxy.cfg
// itself (only its ports, stats socket and check interval are changed for the test): every byte of
// many clients comes back through it, each server logs the clients' real addresses from the
// PROXY v2 header rather than HAProxy's, and when one server stops the other takes the traffic.

#include "support/conversation.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/scratch.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces the one occurrence of `from`, so a change to deploy/haproxy.cfg that this test no
// longer understands fails here, by name, instead of testing something else.
void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  INFO("deploy/haproxy.cfg must contain \"" << from << "\" once");
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find(from, at + 1) == std::string::npos);
  text.replace(at, from.size(), to);
}

// haproxy running deploy/haproxy.cfg with the given backends, on a free frontend port. It runs in
// master-worker mode (-W) for one reason: the master prints "Loading success." once the worker is
// up, after every listener was bound, which is the readiness condition to wait on. -db keeps it
// in the foreground with its warnings (servers going DOWN) on stderr.
class running_haproxy {
 public:
  running_haproxy(const temp_dir& dir, std::uint16_t first, std::uint16_t second) {
    std::string config = read_file(std::string(ECHO_SOURCE_DIR) + "/deploy/haproxy.cfg");
    replace_once(config, "127.0.0.1:9001", "127.0.0.1:" + std::to_string(first));
    replace_once(config, "127.0.0.1:9002", "127.0.0.1:" + std::to_string(second));
    replace_once(config, "stats socket /tmp/echo-haproxy.sock",
                 "stats socket " + dir.file("stats.sock"));
    // Checks every 100 ms, so a stopped server is marked DOWN within a fraction of a second.
    replace_once(config, "inter 2s fall 3 rise 2", "inter 100ms fall 2 rise 1");
    const std::string path = dir.file("haproxy.cfg");
    for (int attempt = 1; attempt <= 5; ++attempt) {
      port_ = free_port();
      std::string attempt_config = config;
      replace_once(attempt_config, "127.0.0.1:8888", "127.0.0.1:" + std::to_string(port_));
      std::ofstream(path) << attempt_config;
      process_.emplace(std::vector<std::string>{"haproxy", "-W", "-db", "-f", path});
      const auto outcome = process_->read_stderr_until(
          std::regex("Loading success\\.|cannot bind socket"), deadline::after_default());
      INFO("haproxy's stderr:\n" << process_->stderr_text());
      REQUIRE(outcome);
      if ((*outcome)[0] == "Loading success.") return;
      REQUIRE(process_->wait_exit(deadline::after_default()).has_value());
      process_.reset();  // someone took the port between free_port() and haproxy's bind
    }
    FAIL("haproxy found no free frontend port in 5 attempts");
  }

  ~running_haproxy() {
    if (!process_) return;
    process_->signal(SIGTERM);
    // The master stops its worker and exits 0 ("All workers exited").
    CHECK(process_->wait_exit(deadline::after_default()) == 0);
  }

  std::uint16_t port() const { return port_; }
  process& proc() { return *process_; }

 private:
  std::uint16_t port_ = 0;
  std::optional<process> process_;
};

// One client per index: two from 127.0.0.1, then two from 127.0.0.2 (an address HAProxy itself
// never uses, so a server that logs it can only have read it from the header), and so on, so that
// both servers see both addresses whatever order HAProxy alternates in. Each sends distinct lines
// and random bytes with no final newline, then half-closes.
struct client {
  std::unique_ptr<conversation> talk;
  std::string endpoint;  // as the servers log it
  std::string sent;
};

std::vector<client> start_clients(std::uint16_t port, std::size_t count, std::size_t first_id) {
  std::vector<client> clients;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t id = first_id + i;
    const std::string source = id / 2 % 2 == 0 ? "127.0.0.1" : "127.0.0.2";
    client c{std::make_unique<conversation>(tcp_client::connect_from(source, "127.0.0.1", port)),
             {},
             {}};
    c.endpoint = c.talk->client().local_endpoint();
    REQUIRE(c.endpoint.rfind(source + ":", 0) == 0);
    for (int line = 0; line < 20; ++line) {
      c.sent += "client " + std::to_string(id) + " line " + std::to_string(line) + "\n";
    }
    c.sent += random_bytes(3000 + id, id);
    c.talk->send(c.sent);
    c.talk->half_close_when_sent();
    clients.push_back(std::move(c));
  }
  return clients;
}

// Drives every client to EOF and checks each got back exactly what it sent.
void finish_clients(std::vector<client>& clients) {
  std::vector<conversation*> talks;
  for (auto& c : clients) talks.push_back(c.talk.get());
  REQUIRE(drive(talks, deadline::after_default(), [&] {
    for (const auto& c : clients) {
      if (!c.talk->is_finished()) return false;
    }
    return true;
  }));
  for (const auto& c : clients) {
    INFO("client " << c.endpoint);
    CHECK(c.talk->read_error() == 0);
    CHECK(c.talk->send_error() == 0);
    CHECK(c.talk->received().size() == c.sent.size());
    CHECK(c.talk->received() == c.sent);
  }
}

// "connection from 127.0.0.2:41234" and no more digits: the server's line for this client.
std::regex connection_line(const std::string& endpoint) {
  return std::regex("connection from " + regex_escape(endpoint) + "(?![0-9])");
}

// Which of the servers logged the client's connection (its log is read in the background, so the
// line may arrive a little after the echo did); -1 if none did by the deadline.
int server_of(const std::vector<running_server*>& servers, const std::string& endpoint,
              deadline d = deadline::after_default()) {
  const std::regex line = connection_line(endpoint);
  while (!d.is_expired()) {
    for (std::size_t i = 0; i < servers.size(); ++i) {
      if (servers[i]->is_stopped()) {
        if (std::regex_search(servers[i]->log(), line)) return static_cast<int>(i);
      } else if (servers[i]->wait_for_log(
                     line, deadline::in(std::chrono::milliseconds(20)).or_earlier(d))) {
        return static_cast<int>(i);
      }
    }
  }
  return -1;
}

}  // namespace

TEST_CASE("haproxy: clients through HAProxy reach two PROXY-protocol servers, then the survivor",
          "[integration][haproxy]") {
  REQUIRE(find_program("haproxy")
              .has_value());  // Debian's haproxy package (.ci/quickstart installs it)
  running_server first({"--proxy-protocol", "-v"});
  running_server second({"--proxy-protocol", "-v"});
  temp_dir dir("haproxy");
  running_haproxy haproxy(dir, first.port(), second.port());

  constexpr std::size_t client_count = 24;
  std::vector<client> clients = start_clients(haproxy.port(), client_count, 0);
  finish_clients(clients);

  // Each client's own address and port is in a server's log, and both servers had some. HAProxy's
  // connections to the servers (the forwarded ones and its health checks) come from 127.0.0.1 on
  // ports of their own: one may happen to reuse a client's port number, so "in exactly one log"
  // is checked for the clients from 127.0.0.2, which nothing else connects from.
  const std::vector<running_server*> servers = {&first, &second};
  std::size_t served[2] = {0, 0};
  for (const auto& c : clients) {
    INFO("client " << c.endpoint);
    const int index = server_of(servers, c.endpoint);
    REQUIRE(index >= 0);
    ++served[index];
    if (c.endpoint.rfind("127.0.0.2:", 0) == 0) {
      CHECK_FALSE(std::regex_search(servers[1 - index]->log(), connection_line(c.endpoint)));
    }
  }
  CHECK(served[0] + served[1] == client_count);
  CHECK(served[0] > 0);
  CHECK(served[1] > 0);

  // The first server stops; HAProxy's checks mark it DOWN and new clients all reach the second.
  CHECK(first.stop() == 0);
  REQUIRE(haproxy.proc().read_stderr_until("Server echo_servers/echo1 is DOWN",
                                           deadline::after_default()));
  std::vector<client> later = start_clients(haproxy.port(), 8, client_count);
  finish_clients(later);
  for (const auto& c : later) {
    INFO("client " << c.endpoint);
    CHECK(second.wait_for_log(connection_line(c.endpoint)).has_value());
  }
  CHECK(haproxy.proc().stderr_text().find("echo2 is DOWN") == std::string::npos);
}
