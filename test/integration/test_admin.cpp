// The admin endpoint's impairment API (--admin, --admin-write): GET /impairment shows the
// settings as JSON; PUT changes some of them and DELETE turns them all off, only with
// --admin-write (else 403); a bad body gets 400 naming the field (413 when too large) and changes
// nothing; each change logs one line naming the peer; /metrics shows the settings and the events;
// a change reaches every worker. What the settings do to the traffic is test_impairment's.

#include "support/admin_http.hpp"
#include "support/metrics_scrape.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

http_response get_impairment(admin_server& a) { return http_request(a.port, "GET", "/impairment"); }

// `"delay_ms":100` in a JSON object: a field and its value as to_json writes them.
bool has_field(const std::string& json, const std::string& field, const std::string& value) {
  return json.find("\"" + field + "\":" + value + ",") != std::string::npos ||
         json.find("\"" + field + "\":" + value + "}") != std::string::npos;
}

constexpr const char* changed = "impairment changed by ";

}  // namespace

TEST_CASE("admin: GET /impairment shows the flags' settings and the seed as JSON",
          "[integration][admin]") {
  admin_server a({"--delay", "50", "--jitter", "5", "--seed", "7"});
  const http_response r = get_impairment(a);
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == std::optional<std::string>("application/json"));
  CHECK(r.body.back() == '\n');
  CHECK(r.body.front() == '{');
  CHECK(has_field(r.body, "delay_ms", "50"));
  CHECK(has_field(r.body, "jitter_ms", "5"));
  CHECK(has_field(r.body, "throttle_bytes_per_second", "0"));
  CHECK(has_field(r.body, "seed", "7"));
  // HEAD: the same header, no body.
  const http_response head = http_request(a.port, "HEAD", "/impairment");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.header("content-length") == std::to_string(r.body.size()));
}

TEST_CASE("admin: PUT changes some settings, DELETE all, one log line each naming the peer",
          "[integration][admin]") {
  admin_server a({"--admin-write", "--jitter", "5", "--seed", "9"});

  tcp_client first = tcp_client::connect("127.0.0.1", a.port);
  const std::string first_peer = first.local_endpoint();
  const http_response put = http_request_on(first, "PUT", "/impairment", R"({"delay_ms": 100})");
  REQUIRE(put.status == 200);
  CHECK(put.header("content-type") == std::optional<std::string>("application/json"));
  CHECK(has_field(put.body, "delay_ms", "100"));
  CHECK(has_field(put.body, "jitter_ms", "5"));  // a partial update keeps the rest
  CHECK(get_impairment(a).body == put.body);
  CHECK(a.server.wait_for_log(changed + first_peer + ": delay 100 ms, jitter 5 ms\n"));

  const http_response rate = http_request(a.port, "PUT", "/impairment",
                                          R"({"throttle_bytes_per_second": "256k", "seed": 11})");
  REQUIRE(rate.status == 200);
  CHECK(has_field(rate.body, "throttle_bytes_per_second", "262144"));
  CHECK(has_field(rate.body, "delay_ms", "100"));
  CHECK(has_field(rate.body, "seed", "11"));
  CHECK(a.server.wait_for_log("delay 100 ms, jitter 5 ms, throttle 262144 B/s\n"));

  // The settings as gauges, in base units.
  const auto page = scrape_metrics(a.port);
  REQUIRE(page);
  CHECK(metric_value(*page, "echo_impairment_delay_seconds") == 0.1);
  CHECK(metric_value(*page, "echo_impairment_jitter_seconds") == 0.005);
  CHECK(metric_value(*page, "echo_impairment_throttle_bytes_per_second") == 262144);
  CHECK(metric_value(*page, "echo_impairment_reset_chance_ratio") == 1);
  CHECK(metric_value(*page, "echo_impairment_events_total{kind=\"delayed\"}") == 0);

  tcp_client last = tcp_client::connect("127.0.0.1", a.port);
  const std::string last_peer = last.local_endpoint();
  const http_response off = http_request_on(last, "DELETE", "/impairment");
  REQUIRE(off.status == 200);
  CHECK(has_field(off.body, "delay_ms", "0"));
  CHECK(has_field(off.body, "jitter_ms", "0"));
  CHECK(has_field(off.body, "throttle_bytes_per_second", "0"));
  CHECK(has_field(off.body, "seed", "11"));  // kept
  CHECK(get_impairment(a).body == off.body);
  CHECK(a.server.wait_for_log(changed + last_peer + ": off\n"));
  const auto after = scrape_metrics(a.port);
  REQUIRE(after);
  CHECK(metric_value(*after, "echo_impairment_delay_seconds") == 0);

  REQUIRE(a.server.stop() == 0);
  CHECK(count_occurrences(a.server.log(), changed) == 3);
}

TEST_CASE("admin: without --admin-write, PUT and DELETE get 403 and change nothing",
          "[integration][admin]") {
  admin_server a({"--delay", "20"});
  const std::string before = get_impairment(a).body;
  for (const char* method : {"PUT", "DELETE"}) {
    CAPTURE(method);
    const http_response r = http_request(a.port, method, "/impairment", R"({"delay_ms": 100})");
    CHECK(r.status == 403);
    CHECK(r.header("content-type") == std::optional<std::string>("application/json"));
    CHECK(r.body == "{\"error\":\"writes need --admin-write\"}\n");
  }
  CHECK(get_impairment(a).body == before);
  REQUIRE(a.server.stop() == 0);
  CHECK(count_occurrences(a.server.log(), changed) == 0);
}

TEST_CASE("admin: a bad body gets 400 naming the field, a large one 413, and nothing changes",
          "[integration][admin]") {
  admin_server a({"--admin-write", "--delay", "20", "--seed", "3"});
  const std::string before = get_impairment(a).body;
  REQUIRE(has_field(before, "delay_ms", "20"));
  struct bad {
    std::string body;
    std::string error;  // what the error line must contain
  };
  const std::vector<bad> cases = {
      {"not json", "body: not valid JSON"},
      {"[1, 2]", "body"},
      {R"({"delay_ms": 100, "foo": 1})", R"(\"foo\": unknown field)"},
      {R"({"delay_ms": -5})", "delay_ms: "},
      {R"({"delay_ms": "soon"})", "delay_ms: "},
      {R"({"loss_percent": 101})", "loss_percent: "},
      {R"({"throttle_bytes_per_second": "fast"})", "throttle_bytes_per_second: "},
  };
  for (const bad& c : cases) {
    CAPTURE(c.body);
    const http_response r = http_request(a.port, "PUT", "/impairment", c.body);
    CHECK(r.status == 400);
    CHECK(r.header("content-type") == std::optional<std::string>("application/json"));
    CHECK(r.body.rfind("{\"error\":\"", 0) == 0);
    CHECK(r.body.find(c.error) != std::string::npos);
    CHECK(std::count(r.body.begin(), r.body.end(), '\n') == 1);
  }
  // 1 MiB: refused from its Content-Length on, and read to its end so that the 413 arrives.
  const http_response large = http_request(a.port, "PUT", "/impairment",
                                           "{\"delay_ms\": 1" + std::string(1 << 20, ' ') + "}");
  CHECK(large.status == 413);
  CHECK(large.body == "{\"error\":\"body: larger than 8192 bytes\"}\n");

  CHECK(get_impairment(a).body == before);
  REQUIRE(a.server.stop() == 0);
  CHECK(count_occurrences(a.server.log(), changed) == 0);
}

TEST_CASE("admin: routes: 405 with Allow, 404 elsewhere, and --metrics is the same endpoint",
          "[integration][admin]") {
  // --metrics, the older name: the whole endpoint, not only /metrics.
  running_server server({"--metrics", "127.0.0.1:0"});
  const std::uint16_t port = admin_port(server);
  CHECK(http_request(port, "GET", "/healthz").status == 200);
  CHECK(http_request(port, "GET", "/impairment").status == 200);
  for (const char* target : {"/healthz", "/readyz"}) {
    CAPTURE(target);
    const http_response r = http_request(port, "POST", target, "x");
    CHECK(r.status == 405);
    CHECK(r.header("allow") == std::optional<std::string>("get, head"));
  }
  const http_response post = http_request(port, "POST", "/impairment", "{}");
  CHECK(post.status == 405);
  CHECK(post.header("allow") == std::optional<std::string>("get, head, put, delete"));
  for (const char* target : {"/", "/impairment/", "/health", "/readyz/x"}) {
    CAPTURE(target);
    CHECK(http_request(port, "GET", target).status == 404);
  }
}

TEST_CASE("admin: with --workers 2 a change shows in GET and the page", "[integration][admin]") {
  admin_server a({"--workers", "2", "--admin-write", "--udp"});
  CHECK(http_request(a.port, "GET", "/readyz").status == 200);
  const http_response put =
      http_request(a.port, "PUT", "/impairment", R"({"delay_ms": 30, "loss_percent": 25})");
  REQUIRE(put.status == 200);
  const http_response get = get_impairment(a);
  CHECK(has_field(get.body, "delay_ms", "30"));
  CHECK(get.body == put.body);
  const auto page = scrape_metrics(a.port);
  REQUIRE(page);
  CHECK(metric_value(*page, "echo_impairment_loss_ratio") == 0.25);
  REQUIRE(a.server.stop() == 0);
  CHECK(count_occurrences(a.server.log(), changed) == 1);
}
