// --allow CIDR / --deny CIDR on the real echo-server, for TCP and UDP alike. Every loopback
// address 127.0.0.0/8 reaches a server on 127.0.0.1, so clients bound to 127.0.0.2 and 127.0.0.3
// look like other machines. A denied TCP client is closed without a byte and counted
// refused{reason="denied"}; a denied datagram gets no reply and is counted dropped{denied}; deny
// wins over allow, and any --allow denies the rest; a bad CIDR is a usage error naming it.
//
// A reply that must not come is awaited only briefly, and only once the server has shown that it
// decided: an answer to a datagram sent later, or the counter of the drop.

#include "support/metrics_scrape.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/scratch.hpp"
#include "support/tcp_client.hpp"
#include "support/udp_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

constexpr auto no_reply_window = std::chrono::milliseconds(300);

// A UDP client from `source` to the server.
udp_client udp_from(const running_server& server, const std::string& source) {
  return udp_client::connect(server.host(), server.port(), source);
}

// True when a datagram from `denied` gets no reply while one from `allowed`, sent after it, does.
void check_udp_denied(const running_server& server, const std::string& denied,
                      const std::string& allowed) {
  udp_client refused = udp_from(server, denied);
  udp_client admitted = udp_from(server, allowed);
  refused.send("from " + denied + "\n");
  admitted.send("from " + allowed + "\n");
  CHECK(admitted.receive() == "from " + allowed + "\n");
  CHECK_FALSE(refused.receive(deadline::in(no_reply_window)));
}

// A TCP client from `source`: what it reads before the server closes.
read_result tcp_from(const running_server& server, const std::string& source) {
  tcp_client c = tcp_client::connect_from(source, server.host(), server.port());
  try {
    c.send_all("hello\n");
  } catch (const std::runtime_error&) {
    // Closed already: a reset can come before the send.
  }
  return c.read_until_eof();
}

void check_tcp_denied(const running_server& server, const std::string& source) {
  const read_result r = tcp_from(server, source);
  INFO("TCP from " << source);
  CHECK(r.data.empty());
  CHECK((r.is_eof || r.error != 0));
  CHECK_FALSE(r.is_timed_out);
}

void check_tcp_served(const running_server& server, const std::string& source) {
  tcp_client c = tcp_client::connect_from(source, server.host(), server.port());
  c.send_all("hello\n");
  INFO("TCP from " << source);
  CHECK(c.read_until("\n").data == "hello\n");
}

}  // namespace

TEST_CASE("udp access: --deny drops datagrams and closes connections from that address",
          "[integration][udp][access]") {
  udp_server_with_metrics s({"--deny", "127.0.0.2/32"});
  check_udp_denied(s.server, "127.0.0.2", "127.0.0.1");
  check_tcp_denied(s.server, "127.0.0.2");
  check_tcp_served(s.server, "127.0.0.1");
  const auto [page, ok] = wait_for_metric(s.metrics, udp_dropped("denied"), 1);
  INFO(page);
  CHECK(ok);
  CHECK(metric_value(page, "echo_connections_refused_total{reason=\"denied\"}") == 1);
  CHECK(metric_value(page, "echo_udp_datagrams_received_total") == 2);
  CHECK(metric_value(page, "echo_udp_datagrams_sent_total") == 1);
}

TEST_CASE("udp access: any --allow denies every other address", "[integration][udp][access]") {
  udp_server_with_metrics s({"--allow", "127.0.0.1/32", "--allow", "127.0.0.3/32"});
  check_udp_denied(s.server, "127.0.0.2", "127.0.0.3");
  check_udp_denied(s.server, "127.0.0.2", "127.0.0.1");
  check_tcp_denied(s.server, "127.0.0.2");
  check_tcp_served(s.server, "127.0.0.3");
  const auto [page, ok] = wait_for_metric(s.metrics, udp_dropped("denied"), 2);
  INFO(page);
  CHECK(ok);
  CHECK(metric_value(page, "echo_connections_refused_total{reason=\"denied\"}") == 1);
}

TEST_CASE("udp access: --deny wins over a wider --allow", "[integration][udp][access]") {
  udp_server_with_metrics s({"--allow", "127.0.0.0/8", "--deny", "127.0.0.2/32"});
  check_udp_denied(s.server, "127.0.0.2", "127.0.0.3");
  check_tcp_denied(s.server, "127.0.0.2");
  check_tcp_served(s.server, "127.0.0.3");
  const auto [page, ok] = wait_for_metric(s.metrics, udp_dropped("denied"), 1);
  INFO(page);
  CHECK(ok);
}

TEST_CASE("udp access: --deny ::1/128 drops IPv6 datagrams", "[integration][udp][access]") {
  if (!has_ipv6_loopback()) {
    WARN("skipped: this machine cannot bind ::1 (IPv6 disabled?)");
    return;
  }
  running_server server(
      {"--host", "::1", "--udp", "--deny", "::1/128", "--metrics", "127.0.0.1:0"});
  const std::uint16_t metrics = metrics_port(server);
  udp_client client = udp_client::connect("::1", server.port());
  client.send("denied\n");
  // Counted means decided: a reply would have been sent by then.
  const auto [page, ok] = wait_for_metric(metrics, udp_dropped("denied"), 1);
  INFO(page);
  CHECK(ok);
  CHECK_FALSE(client.receive(deadline::in(no_reply_window)));
}

TEST_CASE("udp access: a bad CIDR is one usage line naming it, exit 2",
          "[integration][udp][access][errors]") {
  const std::vector<std::string> args = GENERATE(values<std::vector<std::string>>({
      {"--allow", "10.0.0.0/33"},
      {"--deny", "nonsense"},
      {"--udp", "--deny", "::1/129"},
      {"--allow", "127.0.0.1/32", "--deny", "300.1.1.1/8"},
  }));
  std::vector<std::string> argv = {echo_server_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  const run_result r = run_to_exit(argv);
  INFO("echo-server " << Catch::Detail::stringify(args) << "\nstderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  const std::string& flag = args[args.size() - 2];
  CHECK_THAT(r.err,
             Catch::StartsWith("echo-server: invalid " + flag + " '" + args.back() + "': ") &&
                 Catch::EndsWith(" (try 'echo-server --help')\n"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("udp access: rules from ECHO_SERVER_DENY and a config file's comma list",
          "[integration][udp][access][config]") {
  SECTION("environment") {
    running_server server({"--udp"}, {"env", "ECHO_SERVER_DENY=127.0.0.2/32"});
    check_udp_denied(server, "127.0.0.2", "127.0.0.1");
    check_tcp_denied(server, "127.0.0.2");
  }
  SECTION("config file") {
    const temp_dir dir("udp-access");
    const std::string file = dir.file("echo.conf");
    std::ofstream(file) << "udp = true\nallow = 127.0.0.1/32,127.0.0.3\n";
    running_server server({"--config", file});
    check_udp_denied(server, "127.0.0.2", "127.0.0.3");
    check_tcp_served(server, "127.0.0.1");
    check_tcp_denied(server, "127.0.0.2");
  }
}

TEST_CASE("udp access: --print-config shows the rules as a comma list that reads back",
          "[integration][udp][access][config]") {
  const run_result first =
      run_to_exit({echo_server_path(), "--udp", "--allow", "127.0.0.0/8", "--allow", "::1",
                   "--deny", "127.0.0.2/32", "--print-config"});
  INFO("stderr: " << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("\nallow = 127.0.0.0/8,::1\ndeny = 127.0.0.2/32\n"));
  const temp_dir dir("udp-access");
  const std::string file = dir.file("echo.conf");
  std::ofstream(file) << first.out;
  const run_result second = run_to_exit({echo_server_path(), "--config", file, "--print-config"});
  CHECK(second.exit_code == 0);
  CHECK(second.out == first.out);
}
