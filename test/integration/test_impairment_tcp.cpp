// The impairment stage on TCP (and TLS), measured by clients that did not ask for it: the real
// echo-server started with --delay, --jitter, --throttle, --reset-after/--reset-chance/--seed,
// --slice/--slice-gap or --stall-after/--stall, driven by echo-client and by python3 clients that
// time what comes back. Each assertion is a window around what the flag promises (the README's
// "Impairment" section), wide enough for a loaded 2-core machine, narrow enough that the
// unimpaired server fails it.

#include "support/echo_client.hpp"
#include "support/metrics_scrape.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tls_files.hpp"

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace echo::test;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// Runs a python3 script with `args` (host and port first, as strings) and returns what it printed;
// fails the test unless it exits 0.
std::string run_python(const char* script, const std::vector<std::string>& args,
                       deadline d = deadline::in(seconds(12))) {
  std::vector<std::string> argv = {"python3", "-c", script};
  argv.insert(argv.end(), args.begin(), args.end());
  const run_result r = run_to_exit(argv, {}, d);
  INFO("python3 stdout: " << r.out << "\npython3 stderr: " << r.err);
  REQUIRE(r.exit_code == std::optional<int>(0));
  return r.out;
}

std::vector<std::string> host_port(const running_server& server) {
  return {server.host(), std::to_string(server.port())};
}

// The numbers on a line of output, in order.
std::vector<double> numbers(const std::string& line) {
  std::vector<double> out;
  std::istringstream in(line);
  for (double x; in >> x;) out.push_back(x);
  return out;
}

// A field of echo-client --bench --json.
double json_field(const std::string& json, const std::string& name) {
  const std::regex pattern("\"" + name + "\": ([0-9.]+)");
  std::smatch match;
  INFO("json: " << json);
  REQUIRE(std::regex_search(json, match, pattern));
  return std::stod(match[1]);
}

// One echo-client --bench run of 1.5 s, one message in flight per connection.
std::string bench(const running_server& server, const std::string& connections = "1") {
  const run_result r = run_client({"-p", std::to_string(server.port()), "--bench", "--connections",
                                   connections, "--duration", "1.5", "--warmup", "0.2", "--json"},
                                  {}, deadline::in(seconds(10)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == std::optional<int>(0));
  CHECK(json_field(r.out, "errors") == 0);
  CHECK(json_field(r.out, "mismatches") == 0);
  return r.out;
}

// Sends one line at a time, `count` times, and prints the median round trip in milliseconds.
constexpr const char* round_trips = R"(
import socket, statistics, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
times = []
for i in range(int(sys.argv[3])):
    line = b'round trip %d\n' % i
    start = time.monotonic()
    s.sendall(line)
    got = b''
    while len(got) < len(line):
        chunk = s.recv(65536)
        if not chunk:
            sys.exit('eof after %r' % got)
        got += chunk
    times.append((time.monotonic() - start) * 1000)
    if got != line:
        sys.exit('got %r for %r' % (got, line))
print('%.1f' % statistics.median(times))
)";

}  // namespace

TEST_CASE("impairment tcp: --delay 50 holds every reply 50 ms",
          "[integration][impairment][delay]") {
  running_server server({"-q", "--delay", "50"});
  CHECK(server.wait_for_log(std::regex(R"(impairment on: delay 50 ms \(seed [0-9]+\))")));

  const std::string json = bench(server);
  const double p50_ms = json_field(json, "p50_us") / 1000;
  CHECK(p50_ms >= 50);
  CHECK(p50_ms <= 60);

  const double median_ms =
      std::stod(run_python(round_trips, {server.host(), std::to_string(server.port()), "20"}));
  CHECK(median_ms >= 50);
  CHECK(median_ms <= 60);
}

TEST_CASE("impairment tcp: --jitter widens the spread of round trips, never the byte order",
          "[integration][impairment][jitter]") {
  // Eight connections, so that the percentiles are not simply the slowest of a few dozen round
  // trips. Scheduling noise (a loaded CI machine, the sanitizers) widens both runs' tails alike,
  // so the jitter is judged by the difference between the two runs, and by p90 - p50 (uniform
  // 0..40 ms: 16 ms), which noise moves less than p99.
  const auto spread_ms = [](const std::string& json) {
    return (json_field(json, "p90_us") - json_field(json, "p50_us")) / 1000;
  };
  double steady_spread_ms = 0;
  {
    running_server server({"-q", "--delay", "20"});
    const std::string json = bench(server, "8");
    steady_spread_ms = spread_ms(json);
    CHECK(json_field(json, "p50_us") / 1000 >= 20);
  }

  running_server server({"-q", "--delay", "20", "--jitter", "40"});
  const std::string json = bench(server, "8");
  const double p50_ms = json_field(json, "p50_us") / 1000;
  INFO("p90 - p50: " << steady_spread_ms << " ms without jitter, " << spread_ms(json)
                     << " ms with");
  CHECK(spread_ms(json) - steady_spread_ms > 8);
  CHECK(json_field(json, "p99_us") / 1000 - p50_ms > 15);
  CHECK(p50_ms >= 20);
  CHECK(p50_ms <= 20 + 40 + 10);  // the jitter's range, and 10 ms for a busy scheduler

  // 100 numbered lines back to back, so several sit in the stage at once with different delays:
  // they still come back as sent.
  constexpr const char* in_order = R"(
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sent = b''
for i in range(100):
    line = b'line %03d\n' % i
    s.sendall(line)
    sent += line
got = b''
while len(got) < len(sent):
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
print('exact' if got == sent else 'differs: %r' % got)
)";
  CHECK(run_python(in_order, host_port(server)) == "exact\n");
}

TEST_CASE("impairment tcp: --throttle 256k paces a 1 MiB round trip to 4 s",
          "[integration][impairment][throttle]") {
  running_server server({"-q", "--throttle", "256k"});
  constexpr const char* upload = R"(
import os, socket, sys, threading, time
data = os.urandom(1 << 20)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=8)
start = time.monotonic()
sender = threading.Thread(target=s.sendall, args=(data,))
sender.start()
got = bytearray()
while len(got) < len(data):
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
elapsed = time.monotonic() - start
sender.join()
print('%.3f %d %d' % (elapsed, len(got), 1 if got == data else 0))
)";
  const std::vector<double> r = numbers(run_python(upload, host_port(server)));
  REQUIRE(r.size() == 3);
  INFO("seconds " << r[0] << ", bytes " << r[1]);
  CHECK(r[1] == 1 << 20);
  CHECK(r[2] == 1);
  CHECK(r[0] >= 4 * 0.85);
  CHECK(r[0] <= 4 * 1.15);
}

namespace {

// Sends `size` bytes on each of `connections` connections, one after another, and prints per
// connection "R" (ECONNRESET after exactly `limit` bytes), "N" (all bytes back) or what else.
constexpr const char* reset_pattern = R"(
import os, socket, sys
host, port, connections, size, limit = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:6])
pattern = ''
for _ in range(connections):
    data = os.urandom(size)
    s = socket.create_connection((host, port), timeout=5)
    got = b''
    try:
        s.sendall(data)
        while len(got) < size:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        pattern += 'N' if got == data else '?(%d bytes, no reset)' % len(got)
    except ConnectionResetError:
        pattern += 'R' if got == data[:limit] else '?(%d bytes, reset)' % len(got)
    s.close()
print(pattern)
)";

}  // namespace

TEST_CASE("impairment tcp: --reset-after 1000 resets after exactly 1000 bytes",
          "[integration][impairment][reset]") {
  running_server server({"--reset-after", "1000"});
  CHECK(run_python(reset_pattern,
                   {server.host(), std::to_string(server.port()), "1", "5000", "1000"}) == "R\n");
  CHECK(server.wait_for_log("reset by --reset-after"));

  // echo-client one-shot with a 1,500-byte line: the reply stops short with a reset, exit 6.
  const run_result r =
      run_client({"-p", std::to_string(server.port()), "-m", std::string(1500, 'x')}, {},
                 deadline::in(seconds(10)));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == std::optional<int>(6));

  // Shorter than the limit: echoed whole, no reset.
  CHECK(run_python(reset_pattern,
                   {server.host(), std::to_string(server.port()), "1", "999", "1000"}) == "N\n");
}

TEST_CASE("impairment tcp: --reset-chance picks some connections, the same ones for a seed",
          "[integration][impairment][reset]") {
  const auto pattern = [] {
    running_server server({"-q", "--reset-after", "100", "--reset-chance", "50", "--seed", "7"});
    return run_python(reset_pattern,
                      {server.host(), std::to_string(server.port()), "40", "200", "100"});
  };
  const std::string first = pattern();
  INFO("first run: " << first);
  REQUIRE(first.size() == 41);
  CHECK(first.find_first_not_of("RN\n") == std::string::npos);
  CHECK(first.find('R') != std::string::npos);
  CHECK(first.find('N') != std::string::npos);
  CHECK(pattern() == first);
}

namespace {

// Sends 200 bytes and prints the number of recv() calls it took to get them back, the largest
// of them, and whether the bytes are exact; over TLS when a CA file is given.
constexpr const char* count_recvs = R"(
import os, socket, ssl, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
if len(sys.argv) > 3:
    context = ssl.create_default_context(cafile=sys.argv[3])
    s = context.wrap_socket(s, server_hostname='localhost')
data = os.urandom(200)
s.sendall(data)
got, calls, largest = b'', 0, 0
while len(got) < len(data):
    chunk = s.recv(65536)
    if not chunk:
        break
    calls += 1
    largest = max(largest, len(chunk))
    got += chunk
print(calls, largest, 1 if got == data else 0)
)";

}  // namespace

TEST_CASE("impairment tcp: --slice 10 --slice-gap 5 sends replies in pieces of 10 bytes",
          "[integration][impairment][slice]") {
  SECTION("plain TCP") {
    running_server server({"-q", "--slice", "10", "--slice-gap", "5"});
    const std::vector<double> r = numbers(run_python(count_recvs, host_port(server)));
    REQUIRE(r.size() == 3);
    CHECK(r[0] >= 15);
    CHECK(r[1] <= 10);
    CHECK(r[2] == 1);
  }
  SECTION("TLS: the stage sits above the transport") {
    const tls_files& files = tls_files::get();
    running_server server({"-q", "--slice", "10", "--slice-gap", "5", "--tls-cert",
                           files.path("server.pem"), "--tls-key", files.path("server.key")});
    const std::vector<double> r = numbers(run_python(
        count_recvs, {server.host(), std::to_string(server.port()), files.path("ca.pem")}));
    REQUIRE(r.size() == 3);
    CHECK(r[0] >= 15);
    CHECK(r[1] <= 10);
    CHECK(r[2] == 1);
  }
}

TEST_CASE("impairment tcp: --stall-after 100000 --stall 1000 stops reading for a second",
          "[integration][impairment][stall]") {
  running_server server({"-q", "--stall-after", "100000", "--stall", "1000"});
  // A small send buffer, so that sendall blocks as soon as the server stops reading; the times
  // are from the start: when 100 KB had come back, when sendall returned, when all had.
  constexpr const char* stalled_upload = R"(
import os, socket, sys, threading, time
data = os.urandom(4 << 20)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
s.settimeout(8)
s.connect((sys.argv[1], int(sys.argv[2])))
start = time.monotonic()
sent_at = []
def send():
    s.sendall(data)
    sent_at.append(time.monotonic() - start)
sender = threading.Thread(target=send)
sender.start()
got = bytearray()
first = None
while len(got) < len(data):
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    got += chunk
    if first is None and len(got) >= 100000:
        first = time.monotonic() - start
total = time.monotonic() - start
sender.join()
print('%.3f %.3f %.3f %d' % (first, sent_at[0], total, 1 if got == data else 0))
)";
  const std::vector<double> r = numbers(run_python(stalled_upload, host_port(server)));
  REQUIRE(r.size() == 4);
  INFO("100 KB back at " << r[0] << " s, sendall done at " << r[1] << " s, all back at " << r[2]
                         << " s");
  CHECK(r[1] >= r[0] + 0.5);
  CHECK(r[2] >= 1);
  CHECK(r[3] == 1);
}

TEST_CASE("impairment tcp: --delay 2000 holds a bounded amount: an upload stops, memory stays",
          "[integration][impairment][delay][backpressure]") {
  running_server server({"--delay", "2000"});
  tcp_client client = tcp_client::connect(server.host(), server.port());
  const auto rss_before = resident_bytes(server.proc().pid());
  REQUIRE(rss_before > 0);

  // Upload as fast as the server takes it, for a second, reading nothing: the stage reads until it
  // holds its cap of replies, then stops, so the upload stalls far short of 50 MiB.
  const std::string block(64 * 1024, 'u');
  std::size_t sent = 0;
  const auto start = clock::now();
  const deadline upload = deadline::in(seconds(1));
  while (!upload.is_expired() && sent < (std::size_t{50} << 20)) {
    pollfd p{client.fd(), POLLOUT, 0};
    if (::poll(&p, 1, upload.poll_timeout_ms()) <= 0) continue;
    const ssize_t n = ::send(client.fd(), block.data(), block.size(), MSG_NOSIGNAL);
    if (n > 0) sent += static_cast<std::size_t>(n);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) FAIL("send: errno " << errno);
  }
  const auto rss_after = resident_bytes(server.proc().pid());
  INFO("sent " << sent << " bytes; VmRSS " << rss_before << " -> " << rss_after);
  CHECK(sent < (std::size_t{50} << 20));
  CHECK(rss_after < rss_before + (std::size_t{10} << 20));

  // Nothing has come back yet: the first reply leaves 2 s after its bytes were read.
  const read_result early = client.read(1, deadline::in(milliseconds(1)));
  CHECK(early.data.empty());
  const read_result first = client.read(1, deadline::in(seconds(5)));
  REQUIRE_FALSE(first.data.empty());
  CHECK(first.data.find_first_not_of('u') == std::string::npos);
  CHECK(clock::now() - start >= milliseconds(1900));
  // The client resets, so that its pending echo fails at once and the server has nothing left
  // to drain when the test stops it (draining held replies at SIGTERM is the next test).
  client.reset();
  CHECK(server.wait_for_log("(reset by peer)"));
}

TEST_CASE("impairment tcp: each kind of event is counted in the metrics",
          "[integration][impairment][metrics]") {
  running_server server({"-q", "--admin", "127.0.0.1:0", "--delay", "5", "--throttle", "1M",
                         "--slice", "100", "--slice-gap", "1", "--stall-after", "100", "--stall",
                         "20", "--reset-after", "1000"});
  const std::uint16_t admin = metrics_port(server);
  // 200 bytes come back whole; 2,000 bytes are cut at 1,000 by a reset.
  CHECK(run_python(reset_pattern,
                   {server.host(), std::to_string(server.port()), "1", "200", "1000"}) == "N\n");
  CHECK(run_python(reset_pattern,
                   {server.host(), std::to_string(server.port()), "1", "2000", "1000"}) == "R\n");
  const auto events = [](const std::string& kind) {
    return "echo_impairment_events_total{kind=\"" + kind + "\"}";
  };
  const auto [page, is_done] = wait_for_page(admin, [&](const std::string& p) {
    return metric_value(p, events("reset")).value_or(0) >= 1 &&
           metric_value(p, events("stalled")).value_or(0) >= 2;
  });
  INFO(page);
  CHECK(is_done);
  CHECK(metric_value(page, events("delayed")).value_or(0) >= 2);
  CHECK(metric_value(page, events("throttled")).value_or(0) >= 2);
  CHECK(metric_value(page, events("sliced")).value_or(0) >= 2);
  CHECK(metric_value(page, events("stalled")) == std::optional<double>(2));
  CHECK(metric_value(page, events("reset")) == std::optional<double>(1));
  CHECK(metric_value(page, events("dropped")) == std::optional<double>(0));
}

TEST_CASE("impairment tcp: PUT /impairment slows an open connection's next echo, DELETE restores",
          "[integration][impairment][admin]") {
  running_server server({"-q", "--admin", "127.0.0.1:0", "--admin-write"});
  // One echo connection, open throughout: its round trip before, right after the PUT's 200, and
  // right after the DELETE's 200, with the time from each 200 to the echo sent after it.
  constexpr const char* put_then_delete = R"(
import http.client, socket, sys, time
host, port, admin = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def round_trip():
    start = time.monotonic()
    s.sendall(b'ping\n')
    got = b''
    while not got.endswith(b'\n'):
        chunk = s.recv(100)
        if not chunk:
            sys.exit('eof')
        got += chunk
    assert got == b'ping\n', got
    return (time.monotonic() - start) * 1000
def request(method, body=None):
    c = http.client.HTTPConnection('127.0.0.1', admin, timeout=5)
    c.request(method, '/impairment', body=body)
    r = c.getresponse()
    r.read()
    c.close()
    if r.status != 200:
        sys.exit('%s: %d' % (method, r.status))
    return time.monotonic()
before = round_trip()
answered = request('PUT', '{"delay_ms":100}')
gap_put = (time.monotonic() - answered) * 1000
slowed = round_trip()
answered = request('DELETE')
gap_delete = (time.monotonic() - answered) * 1000
restored = round_trip()
print('%.1f %.1f %.1f %.1f %.1f' % (before, gap_put, slowed, gap_delete, restored))
)";
  const std::vector<double> r =
      numbers(run_python(put_then_delete, {server.host(), std::to_string(server.port()),
                                           std::to_string(metrics_port(server))}));
  REQUIRE(r.size() == 5);
  INFO("before " << r[0] << " ms; echo sent " << r[1] << " ms after PUT's 200, took " << r[2]
                 << " ms; sent " << r[3] << " ms after DELETE's 200, took " << r[4] << " ms");
  CHECK(r[0] < 20);
  CHECK(r[1] < 100);
  CHECK(r[2] >= 100);
  CHECK(r[3] < 100);
  CHECK(r[4] < 20);
}

TEST_CASE("impairment tcp: SIGTERM with held replies for a client that left still exits",
          "[integration][impairment][shutdown]") {
  running_server server({"-q", "--delay", "2000"});
  {
    // Until the socket stays full: the session holds its 256 KiB and has stopped reading. Gone.
    tcp_client client = tcp_client::connect(server.host(), server.port());
    REQUIRE(client.send_until_stalled(deadline::in(milliseconds(1500))) > 256 * 1024);
  }
  // The closed line comes when the held replies meet the closed socket, 2 s on; SIGTERM before.
  CHECK(server.stop(SIGTERM, deadline::in(seconds(6))) == std::optional<int>(0));
}
