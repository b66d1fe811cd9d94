// UDP impairment on the real echo-server (--udp): --loss drops that share of replies, --delay
// holds each, --jitter reorders them, --throttle paces each source, --seed replays the same
// losses, and the queue of held replies is bounded. Measured by clients that did not set any of
// it: echo-client --bench --udp --json, and our own plain sockets (support/udp_client).

#include "support/echo_client.hpp"
#include "support/metrics_scrape.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/udp_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace echo::test;
using std::chrono::milliseconds;

namespace {

double field(const std::string& json, const std::string& name) {
  const std::regex pattern("\"" + name + "\": ([0-9.]+)");
  std::smatch match;
  REQUIRE(std::regex_search(json, match, pattern));
  return std::stod(match[1]);
}

// `echo-client -u --bench --json` against the server, closed loop.
run_result bench(const running_server& server, std::vector<std::string> extra) {
  std::vector<std::string> args = {"-u",         "-p",       std::to_string(server.port()),
                                   "--bench",    "--warmup", "0.2",
                                   "--duration", "2",        "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_client(args, {}, deadline::in(std::chrono::seconds(15)));
}

// "17 " padded with dots to `size` bytes: a datagram that says its own number.
std::string numbered(int n, std::size_t size = 16) {
  std::string text = std::to_string(n) + " ";
  text.resize(std::max(size, text.size()), '.');
  return text;
}

int number_of(const std::string& datagram) { return std::stoi(datagram); }

// A sample of echo_impairment_events_total, which the admin endpoint's metrics serve.
std::string events(const std::string& kind) {
  return "echo_impairment_events_total{kind=\"" + kind + "\"}";
}

// The server's figures once every datagram it received is answered or dropped (none held).
struct server_view {
  double in = 0;
  double out = 0;
  double dropped_other = 0;  // echo_udp_dropped_total, every reason
  std::string page;
};

server_view settled(std::uint16_t metrics, double at_least_in) {
  server_view v;
  const auto [page, ok] = wait_for_page(metrics, [&v, at_least_in](const std::string& p) {
    v.in = metric_value(p, "echo_udp_datagrams_received_total").value_or(0);
    v.out = metric_value(p, "echo_udp_datagrams_sent_total").value_or(0);
    v.dropped_other = 0;
    for (const char* reason : {"rate_limited", "low_port", "truncated", "send_buffer_full",
                               "denied", "error", "too_large", "impairment_queue_full"}) {
      v.dropped_other += metric_value(p, udp_dropped(reason)).value_or(0);
    }
    return v.in >= at_least_in;
  });
  v.page = page;
  INFO(page);
  REQUIRE(ok);
  return v;
}

// VmRSS of a process, in KiB.
long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  FAIL("no VmRSS in /proc/" << pid << "/status");
  return 0;
}

// Sends 0..count-1 one at a time, each waiting for its reply up to `wait`; a reply that comes
// later still counts. Returns the numbers that never came back.
std::set<int> lost_one_at_a_time(const running_server& server, int count, milliseconds wait) {
  udp_client client = udp_client::connect("127.0.0.1", server.port());
  std::set<int> answered;
  for (int n = 0; n < count; ++n) {
    client.send(numbered(n));
    const deadline d = deadline::in(wait);
    while (!answered.count(n)) {
      const auto reply = client.receive(d);
      if (!reply) break;
      answered.insert(number_of(*reply));
    }
  }
  while (const auto late = client.receive(deadline::in(milliseconds(100)))) {
    answered.insert(number_of(*late));
  }
  std::set<int> lost;
  for (int n = 0; n < count; ++n) {
    if (!answered.count(n)) lost.insert(n);
  }
  return lost;
}

}  // namespace

TEST_CASE(
    "udp impairment: --loss 10 drops a tenth of the replies, by the client's count and the "
    "server's",
    "[integration][udp][impairment]") {
  udp_server_with_metrics s({"--loss", "10"});
  // A short loss deadline: a reply is immediate or never.
  const run_result r =
      bench(s.server, {"--connections", "16", "--depth", "8", "--timeout", "0.05"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(field(r.out, "sent") >= 20'000);
  CHECK(field(r.out, "mismatches") == 0);
  CHECK(field(r.out, "loss_percent") == Approx(10).margin(1.5));

  const server_view v = settled(s.metrics, field(r.out, "sent"));
  INFO(v.page);
  CHECK(v.dropped_other == 0);
  const double lost = v.in - v.out;
  CHECK(lost / v.in * 100 == Approx(10).margin(1.5));
  // The admin endpoint's event counters (issue 15) name the same drops, where they are served.
  const auto dropped = metric_value(v.page, events("dropped"));
  REQUIRE(dropped.has_value());
  CHECK(*dropped == lost);
}

TEST_CASE("udp impairment: --delay 50 holds each reply 50 ms", "[integration][udp][impairment]") {
  udp_server_with_metrics s({"--delay", "50"});
  const run_result r = bench(s.server, {"--connections", "2", "--depth", "2", "--timeout", "1"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(field(r.out, "lost") == 0);
  CHECK(field(r.out, "p50_us") >= 50'000);
  CHECK(field(r.out, "p50_us") <= 60'000);

  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  if (host == "::1" && !has_ipv6_loopback()) return;
  running_server server({"--host", host, "--udp", "--delay", "50"});
  udp_client client = udp_client::connect(host, server.port());
  std::vector<milliseconds> round_trips;
  for (int n = 0; n < 5; ++n) {
    const auto sent = clock::now();
    client.send(numbered(n));
    CHECK(client.receive() == numbered(n));
    round_trips.push_back(std::chrono::duration_cast<milliseconds>(clock::now() - sent));
  }
  std::sort(round_trips.begin(), round_trips.end());
  CHECK(round_trips.front() >= milliseconds(50));
  CHECK(round_trips[2] <= milliseconds(60));
}

TEST_CASE("udp impairment: --jitter reorders replies and loses none",
          "[integration][udp][impairment]") {
  udp_server_with_metrics s({"--delay", "20", "--jitter", "40"});
  udp_client client = udp_client::connect("127.0.0.1", s.server.port());
  constexpr int count = 200;
  for (int n = 0; n < count; ++n) client.send(numbered(n));
  std::vector<int> order;
  while (order.size() < count) {
    const auto reply = client.receive();
    if (!reply) break;
    order.push_back(number_of(*reply));
  }
  REQUIRE(order.size() == count);
  CHECK(std::set<int>(order.begin(), order.end()).size() == count);
  int reordered = 0;
  for (std::size_t i = 1; i < order.size(); ++i) reordered += order[i] < order[i - 1] ? 1 : 0;
  CHECK(reordered > 0);
  const server_view v = settled(s.metrics, count);
  if (const auto delayed = metric_value(v.page, events("delayed"))) CHECK(*delayed > 0);
}

TEST_CASE("udp impairment: --throttle paces one source's replies smoothly",
          "[integration][udp][impairment]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  if (host == "::1" && !has_ipv6_loopback()) return;
  running_server server({"--host", host, "--udp", "--throttle", "10k"});
  udp_client client = udp_client::connect(host, server.port());
  constexpr int count = 50;
  const auto start = clock::now();
  for (int n = 0; n < count; ++n) client.send(numbered(n, 1000));
  std::vector<clock::time_point> arrivals;
  while (arrivals.size() < count) {
    const auto reply = client.receive(deadline::in(std::chrono::seconds(2)));
    if (!reply) break;
    CHECK(*reply == numbered(static_cast<int>(arrivals.size()), 1000));
    arrivals.push_back(clock::now());
  }
  REQUIRE(arrivals.size() == count);
  // 50 x 1000 bytes at 10,240 B/s: the first at once, the last 49 x 97.7 ms later (4.8 s).
  const auto took = std::chrono::duration<double>(arrivals.back() - start).count();
  CHECK(took == Approx(5).epsilon(0.15));
  milliseconds largest_gap{0};
  for (std::size_t i = 1; i < arrivals.size(); ++i) {
    largest_gap = std::max(largest_gap,
                           std::chrono::duration_cast<milliseconds>(arrivals[i] - arrivals[i - 1]));
  }
  CHECK(largest_gap < milliseconds(300));
}

TEST_CASE("udp impairment: the same --seed loses the same replies, another seed others",
          "[integration][udp][impairment]") {
  const auto lost_with = [](const std::string& seed) {
    running_server server({"--udp", "--no-tcp", "--loss", "30", "--seed", seed});
    return lost_one_at_a_time(server, 300, milliseconds(30));
  };
  const std::set<int> first = lost_with("42");
  CHECK(first.size() > 50);
  CHECK(first.size() < 130);
  CHECK(lost_with("42") == first);
  CHECK(lost_with("43") != first);
}

TEST_CASE(
    "udp impairment: the queue of held replies is bounded, and overflow is dropped and counted",
    "[integration][udp][impairment]") {
  udp_server_with_metrics s({"--delay", "2000"});
  const long before = rss_kib(s.server.proc().pid());
  udp_client client = udp_client::connect("127.0.0.1", s.server.port());
  const std::string datagram(1400, 'x');
  // 10,000 in one second: all of them within the 2 s that the first is held, but no faster than
  // the server reads them, or the kernel would drop most before the queue saw them.
  const auto start = clock::now();
  for (int n = 0; n < 10'000; ++n) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(100) * n);
    client.send(datagram);
  }
  const auto [page, ok] = wait_for_page(s.metrics, [](const std::string& p) {
    return metric_value(p, udp_dropped("impairment_queue_full")).value_or(0) > 0;
  });
  INFO(page);
  REQUIRE(ok);
  const long after = rss_kib(s.server.proc().pid());
  INFO("VmRSS " << before << " KiB before, " << after << " KiB with the queue full");
  CHECK(after - before < 20 * 1024);
}
