// What --udp logs and how it stops: -v logs each datagram ("Received from HOST:PORT (udp): ..."),
// the default level nothing per datagram, JSON logs mark the message "protocol":"udp"; SIGTERM
// while datagrams keep coming exits 0 within the shutdown grace.

#include "support/running_server.hpp"
#include "support/udp_client.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

using namespace echo::test;

namespace {

// A thread sending datagrams from one socket as fast as it can, until stop() or destruction. Once
// the server is gone its sends may fail (ECONNREFUSED, from the ICMP the kernel returns): it only
// keeps going.
class udp_blaster {
 public:
  udp_blaster(const std::string& host, std::uint16_t port)
      : socket_(udp_client::connect(host, port)), thread_([this] { run(); }) {}
  ~udp_blaster() { stop(); }
  udp_blaster(const udp_blaster&) = delete;
  udp_blaster& operator=(const udp_blaster&) = delete;

  std::uint64_t sent() const { return sent_; }
  void stop() {
    is_done_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    for (std::uint64_t n = 0; !is_done_; ++n) {
      try {
        socket_.send("blast " + std::to_string(n) + "\n");
        ++sent_;
      } catch (const std::runtime_error&) {
      }
    }
  }

  udp_client socket_;
  std::atomic<bool> is_done_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("udp logging: -v logs each datagram with its source and (udp)",
          "[integration][udp][logging]") {
  running_server server({"--udp", "-v"});
  udp_client client = udp_client::connect(server.host(), server.port());
  client.send("hello\n");
  CHECK(client.receive() == "hello\n");
  const std::string source = "127.0.0.1:" + std::to_string(client.local_port());
  CHECK(server.wait_for_log("Received from " + source + " (udp): hello\\n\n"));
  client.send(std::string("tab\tnul\0", 8));
  CHECK(client.receive() == std::string("tab\tnul\0", 8));
  CHECK(server.wait_for_log("Received from " + source + " (udp): tab\\tnul\\x00\n"));
}

TEST_CASE("udp logging: the default level logs nothing per datagram",
          "[integration][udp][logging]") {
  running_server server({"--udp"});
  udp_client client = udp_client::connect(server.host(), server.port());
  client.send("quiet please\n");
  CHECK(client.receive() == "quiet please\n");
  // After the exit the log is complete: a line about the datagram would be in it by now.
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), !Catch::Contains("Received from") && !Catch::Contains("quiet please"));
}

TEST_CASE("udp logging: JSON logs carry \"protocol\":\"udp\" on each datagram's message event",
          "[integration][udp][logging][json]") {
  running_server server({"--udp", "--log-format", "json", "-v"});
  udp_client client = udp_client::connect(server.host(), server.port());
  client.send("json please\n");
  CHECK(client.receive() == "json please\n");
  const std::string source = "127.0.0.1:" + std::to_string(client.local_port());
  const auto line = server.wait_for_log(std::regex("\\{[^\n]*\"event\":\"message\"[^\n]*\n"));
  REQUIRE(line);
  const std::string& message = (*line)[0];
  CHECK_THAT(message, Catch::Contains("\"protocol\":\"udp\"") &&
                          Catch::Contains("\"peer\":\"" + source + "\"") &&
                          Catch::Contains("\"bytes\":12") &&
                          Catch::Contains("\"text\":\"json please\\n\""));
  CHECK_THAT(server.log(), Catch::Contains("\"protocols\":\"tcp,udp\""));
}

TEST_CASE("udp shutdown: SIGTERM while datagrams keep coming exits 0 within the grace",
          "[integration][udp][shutdown]") {
  running_server server({"--udp", "--no-tcp"});
  udp_blaster blast(server.host(), server.port());
  const deadline d = deadline::after_default();
  while (blast.sent() < 1000 && !d.is_expired()) std::this_thread::yield();
  REQUIRE(blast.sent() >= 1000);
  // The server answers while the blast goes on.
  udp_client probe = udp_client::connect(server.host(), server.port());
  std::optional<std::string> answer;
  while (!answer && !d.is_expired()) {
    probe.send("probe\n");  // the blast may crowd one out of the receive buffer: again
    answer = probe.receive(deadline::in(std::chrono::milliseconds(100)));
  }
  CHECK(answer == "probe\n");
  const auto began = clock::now();
  const std::optional<int> code = server.stop(SIGTERM);
  const auto took = clock::now() - began;
  blast.stop();
  CHECK(code == 0);
  CHECK(took < std::chrono::seconds(2));  // the shutdown grace (server::shutdown_grace)
  const auto counted =
      std::regex_search(server.log(), std::regex("shut down: .*, [1-9][0-9]* datagrams in, "));
  CHECK(counted);
}
