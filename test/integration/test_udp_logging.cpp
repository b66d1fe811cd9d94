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
  std::atomic<bool> is_done{false};
  std::atomic<std::uint64_t> sent{0};
  // The sender blasts until told to stop; once the server is gone its sends may fail
  // (ECONNREFUSED from the ICMP the kernel returns): it only keeps going.
  std::thread sender([&] {
    udp_client blaster = udp_client::connect(server.host(), server.port());
    std::uint64_t n = 0;
    while (!is_done) {
      try {
        blaster.send("blast " + std::to_string(n++) + "\n");
        ++sent;
      } catch (const std::runtime_error&) {
      }
    }
  });
  // The server answers while the blast goes on.
  udp_client probe = udp_client::connect(server.host(), server.port());
  std::optional<std::string> answer;
  const deadline d = deadline::after_default();
  while (!answer && !d.is_expired()) {
    probe.send("probe\n");  // the blast may crowd one out of the receive buffer: again
    answer = probe.receive(deadline::in(std::chrono::milliseconds(100)));
  }
  CHECK(answer == "probe\n");
  CHECK(sent > 0);
  const auto began = clock::now();
  const std::optional<int> code = server.stop(SIGTERM);
  const auto took = clock::now() - began;
  is_done = true;
  sender.join();
  CHECK(code == 0);
  CHECK(took < std::chrono::seconds(2));  // the shutdown grace (server::shutdown_grace)
  const auto counted =
      std::regex_search(server.log(), std::regex("shut down: .*, [1-9][0-9]* datagrams in, "));
  CHECK(counted);
}
