// What the server writes on stderr: timestamped lines, one per connection opened and closed, each
// message with -v (escaped so that a client cannot write to the operator's terminal), and only
// warnings plus the lines scripts rely on with -q.

#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>

using namespace echo::test;

namespace {

const std::string timestamp = R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z)";

}  // namespace

TEST_CASE("log: listening, connection, closed and summary lines", "[integration][log]") {
  running_server server;
  tcp_client client = tcp_client::connect(server.host(), server.port());
  const std::string peer = regex_escape(client.local_endpoint());
  client.send_all("hello world");
  client.shutdown_send();
  CHECK(client.read_until_eof().data == "hello world");
  REQUIRE(server.wait_for_log("closed "));
  REQUIRE(server.stop() == 0);

  const std::string log = server.log();
  INFO("log:\n" << log);
  const std::string port = std::to_string(server.port());
  CHECK(std::regex_search(log, std::regex("^" + timestamp + " info: listening on 127\\.0\\.0\\.1:" +
                                          port + " \\(reply echo\\)\n")));
  CHECK(std::regex_search(
      log, std::regex("\n" + timestamp + " info: connection from " + peer + " \\(1 open\\)\n")));
  CHECK(std::regex_search(log, std::regex("\n" + timestamp + " info: closed " + peer +
                                          " after [0-9]+\\.[0-9]{3}s: 11 bytes in, 11 bytes out "
                                          "\\(eof\\)\n")));
  CHECK(std::regex_search(log, std::regex("\n" + timestamp +
                                          " info: shut down: served 1 connection, 11 bytes in, "
                                          "11 bytes out\n$")));
}

TEST_CASE("log: -v logs each message with non-printable bytes escaped", "[integration][log]") {
  running_server server({"--reply", "prefix", "-v"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  const std::string peer = client.local_endpoint();
  client.send_all(
      "a\x01"
      "b\n");
  CHECK(client.read(10).data ==
        "Echo: a\x01"
        "b\n");
  CHECK(server.wait_for_log("debug: Received from " + peer + ": a\\x01b\n"));
  client.send_all("tab\there\x1b[2J\n");
  CHECK(server.wait_for_log("debug: Received from " + peer + ": tab\\there\\x1b[2J\n"));
}

TEST_CASE("log: -q keeps the listening and summary lines only", "[integration][log]") {
  running_server server({"-q"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all("hi\n");
  client.shutdown_send();
  CHECK(client.read_until_eof().data == "hi\n");
  REQUIRE(server.stop() == 0);
  const std::string log = server.log();
  INFO("log:\n" << log);
  CHECK_THAT(log, Catch::Contains("info: listening on 127.0.0.1:"));
  CHECK_THAT(log, Catch::Contains("info: shut down: served 1 connection, 3 bytes in, 3 bytes out"));
  CHECK(count_occurrences(log, "\n") == 2);
}

TEST_CASE("log: -v keeps valid UTF-8 and shortens long messages", "[integration][log]") {
  running_server server({"--reply", "ack", "-v"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  const std::string peer = client.local_endpoint();
  client.send_all("h\xc3\xa9llo \xe2\x9c\x93\n");
  CHECK(client.read(5).data == "ACK!\n");
  CHECK(server.wait_for_log("Received from " + peer + ": h\xc3\xa9llo \xe2\x9c\x93\n"));
  client.send_all(std::string(300, 'x') + "\n");
  CHECK(client.read(5).data == "ACK!\n");
  CHECK(server.wait_for_log("Received from " + peer + ": " + std::string(200, 'x') +
                            "... (100 more bytes)\n"));
}
