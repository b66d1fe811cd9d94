// --host ::1: the server listens on the IPv6 loopback, logs it in brackets, and serves clients
// there. Skipped, with a warning, on machines where IPv6 is disabled.

#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace echo::test;

TEST_CASE("ipv6: --host ::1 listens on [::1] and echoes", "[integration][ipv6]") {
  if (!has_ipv6_loopback()) {
    WARN("skipped: this machine cannot bind ::1 (IPv6 disabled?)");
    return;
  }
  const auto host = GENERATE(as<std::string>{}, "::1", "[::1]");
  running_server server({"--host", host});
  CHECK(server.host() == "::1");
  CHECK_THAT(server.log(), Catch::Contains("listening on [::1]:" + std::to_string(server.port()) +
                                           " (reply echo)"));

  const run_result nc =
      run_to_exit({"nc", "-6", "-N", "::1", std::to_string(server.port())}, "hello over v6\n");
  CHECK(nc.exit_code == 0);
  CHECK(nc.out == "hello over v6\n");

  tcp_client client = tcp_client::connect("::1", server.port());
  const std::string peer = client.local_endpoint();
  CHECK(peer.rfind("[::1]:", 0) == 0);
  client.send_all("again\n");
  client.shutdown_send();
  CHECK(client.read_until_eof().data == "again\n");
  CHECK(server.wait_for_log("connection from " + peer));
}
