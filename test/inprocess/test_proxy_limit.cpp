// --max-connections-per-ip behind a PROXY header: the limit applies to the client the header
// names, not to the proxy's address (every connection here comes from 127.0.0.1).

#include "test/inprocess/harness.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string proxy_v1(const std::string& source) {
  return "PROXY TCP4 " + source + " 192.0.2.100 40000 8888\r\n";
}

}  // namespace

TEST_CASE("proxy limit: a second connection from the same named client is refused",
          "[inprocess][proxy]") {
  echo::server_options options = echo::test::local_options();
  options.proxy_protocol = true;
  options.max_connections_per_ip = 1;
  echo::test::harness h(options);
  REQUIRE_FALSE(h.open());
  const echo::stats& s = h.counters();
  const std::size_t per_ip = static_cast<std::size_t>(echo::refusal::per_ip);
  const std::size_t refused_label = echo::metric_label(echo::ending::refused);
  REQUIRE(echo::ending_labels[refused_label] == "error");

  echo::test::client first(h);
  first.start_reading();
  first.send(proxy_v1("192.0.2.1") + "one\n");
  REQUIRE(h.run_until([&] { return first.received == "one\n"; }));

  echo::test::client second(h);
  second.start_reading();
  second.send(proxy_v1("192.0.2.1") + "two\n");
  REQUIRE(h.run_until([&] { return second.ended.has_value(); }));
  CHECK(second.received == std::string(echo::listener::refusal));  // told why, never echoed
  CHECK(s.refused == 1);
  CHECK(s.refused_by[per_ip] == 1);
  REQUIRE(h.run_until([&] { return s.closed_by[refused_label] == 1; }));
  CHECK(s.connections_active == 1);  // the first is still open

  echo::test::client third(h);
  third.start_reading();
  third.send(proxy_v1("192.0.2.3") + "three\n");
  REQUIRE(h.run_until([&] { return third.received == "three\n"; }));
  CHECK(s.refused == 1);
  CHECK(s.connections_active == 2);
  CHECK_FALSE(first.ended.has_value());

  // The first client's address is free again once it has gone.
  first.reset();
  REQUIRE(h.run_until([&] { return s.connections_active == 1; }));
  echo::test::client fourth(h);
  fourth.start_reading();
  fourth.send(proxy_v1("192.0.2.1") + "four\n");
  REQUIRE(h.run_until([&] { return fourth.received == "four\n"; }));
  CHECK(s.refused == 1);
}
