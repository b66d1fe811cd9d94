// Load: a client that sends 200 MiB and reads nothing for seconds must not slow anyone else down
// or make the server buffer what it cannot send (one read buffer per session, and no read while
// a write is pending), and must still get every byte back in order once it reads. And thousands
// of connections open at once, as many as the descriptor limit allows up to 10,000, each echoing
// its own line.

#include "support/conversation.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace echo::test;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr std::size_t mib = 1024 * 1024;

double seconds_between(clock::time_point from, clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// A long stream of pseudo-random bytes made one 1 MiB piece at a time, so that the sender and the
// checker each hold one piece rather than the whole stream.
class stream_cursor {
 public:
  stream_cursor(std::uint64_t size, std::uint64_t seed) : size_(size), seed_(seed) {}

  std::uint64_t position() const { return position_; }
  bool is_at_end() const { return position_ == size_; }

  // The bytes from the position to the end of its piece.
  std::string_view ahead() {
    const std::uint64_t index = position_ / mib;
    if (index != piece_index_) {
      const std::uint64_t length = std::min<std::uint64_t>(mib, size_ - index * mib);
      piece_ = random_bytes(static_cast<std::size_t>(length), seed_ + index);
      piece_index_ = index;
    }
    return std::string_view(piece_).substr(static_cast<std::size_t>(position_ - index * mib));
  }
  void advance(std::size_t n) { position_ += n; }

 private:
  std::uint64_t size_;
  std::uint64_t seed_;
  std::uint64_t position_ = 0;
  std::uint64_t piece_index_ = ~std::uint64_t{0};
  std::string piece_;
};

// Sends from `out` until the socket is full. Returns false on a send error.
bool send_some(int fd, stream_cursor& out) {
  while (!out.is_at_end()) {
    const std::string_view bytes = out.ahead();
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out.advance(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  }
  return true;
}

// Reads what is there, up to the end of `expected`, and checks it byte for byte. Returns false on
// an early EOF, an error or a mismatch (and says which in `problem`).
bool check_some(int fd, stream_cursor& expected, std::string& problem) {
  static char buffer[256 * 1024];
  while (!expected.is_at_end()) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) {
      problem = n == 0 ? "EOF" : std::string("read error: ") + std::strerror(errno);
      problem += " after " + std::to_string(expected.position()) + " bytes";
      return false;
    }
    std::string_view got(buffer, static_cast<std::size_t>(n));
    while (!got.empty()) {
      if (expected.is_at_end()) {
        problem = "more bytes than were sent";
        return false;
      }
      const std::string_view want = expected.ahead();
      const std::size_t length = std::min(want.size(), got.size());
      const std::size_t at = first_difference(want.substr(0, length), got.substr(0, length));
      if (at != std::string::npos) {
        problem = "first difference at byte " + std::to_string(expected.position() + at);
        return false;
      }
      expected.advance(length);
      got.remove_prefix(length);
    }
  }
  return true;
}

std::string ping_line(int n) {
  std::string line = "ping " + std::to_string(n) + " ";
  line.resize(63, '.');
  return line + "\n";
}

}  // namespace

TEST_CASE("load: a client that sends 200 MiB and reads nothing slows no one and costs no memory",
          "[integration][load]") {
  constexpr std::uint64_t total = 200 * mib;
  constexpr int round_trips = 50;
  running_server server;
  const pid_t pid = server.proc().pid();

  tcp_client ping = tcp_client::connect(server.host(), server.port());
  ping.send_all(ping_line(-1));
  REQUIRE(ping.read(64).data == ping_line(-1));
  const std::uint64_t rss_before = resident_bytes(pid);
  REQUIRE(rss_before > 0);
  std::uint64_t rss_peak = rss_before;
  auto next_sample = clock::now();
  const auto sample = [&] {
    if (clock::now() < next_sample) return;
    rss_peak = std::max(rss_peak, resident_bytes(pid));
    next_sample = clock::now() + milliseconds(20);
  };

  tcp_client slow = tcp_client::connect(server.host(), server.port());
  stream_cursor to_send(total, 2000);
  stream_cursor to_check(total, 2000);
  const auto slow_start = clock::now();
  const deadline quiet_until = deadline::in(seconds(3));

  // Phase 1, for 3 s: the slow client sends whenever it can and never reads. Once its sending has
  // stalled (no room for 200 ms), the other client plays ping-pong.
  auto last_progress = clock::now();
  std::uint64_t stalled_at = 0;
  int pings_done = 0;
  bool is_ping_pending = false;
  std::string ping_reply;
  auto ping_sent_at = clock::now();
  clock::duration slowest_round_trip{};
  bool send_ok = true;
  while (send_ok && (!quiet_until.is_expired() || pings_done < round_trips)) {
    const bool is_stalled = clock::now() - last_progress >= milliseconds(200);
    if (is_stalled && !is_ping_pending && pings_done < round_trips) {
      if (pings_done == 0) stalled_at = to_send.position();
      ping.send_all(ping_line(pings_done));
      ping_sent_at = clock::now();
      is_ping_pending = true;
    }
    pollfd fds[2] = {{slow.fd(), POLLOUT, 0}, {ping.fd(), POLLIN, 0}};
    const int timeout = is_ping_pending ? 1000 : 20;
    REQUIRE(::poll(fds, 2, std::min(timeout, std::max(1, quiet_until.poll_timeout_ms()))) >= 0);
    if (fds[0].revents != 0) {
      const std::uint64_t before = to_send.position();
      send_ok = send_some(slow.fd(), to_send);
      if (to_send.position() != before) last_progress = clock::now();
    }
    if (fds[1].revents != 0) {
      const read_result r = ping.read(64 - ping_reply.size(), deadline::in(milliseconds(1)));
      REQUIRE_FALSE(r.is_eof);
      REQUIRE(r.error == 0);
      ping_reply += r.data;
      if (ping_reply.size() == 64) {
        REQUIRE(ping_reply == ping_line(pings_done));
        slowest_round_trip = std::max(slowest_round_trip, clock::now() - ping_sent_at);
        ping_reply.clear();
        is_ping_pending = false;
        ++pings_done;
      }
    }
    if (is_ping_pending) REQUIRE(clock::now() - ping_sent_at < seconds(2));
    sample();
  }
  REQUIRE(send_ok);
  const std::uint64_t sent_while_quiet = to_send.position();
  const double quiet_seconds = seconds_between(slow_start, clock::now());
  INFO("the slow client sent " << sent_while_quiet / 1024 << " KiB before stalling ("
                               << stalled_at / 1024 << " KiB when the pings started), over "
                               << quiet_seconds << " s");
  INFO("server RSS " << rss_before / 1024 << " KiB before, " << rss_peak / 1024
                     << " KiB at most while the slow client did not read");
  CHECK(pings_done == round_trips);
  CHECK(slowest_round_trip < seconds(1));
  CHECK(sent_while_quiet < total / 4);  // it did stall: the server stopped reading from it
  CHECK(rss_peak - rss_before < 4 * mib);
  const std::uint64_t rss_growth_quiet = rss_peak - rss_before;

  // Phase 2: the slow client reads at last, and gets every byte back in order.
  std::string problem;
  bool is_half_closed = false;
  const deadline d = deadline::in(seconds(45));
  while (!to_check.is_at_end() && problem.empty() && !d.is_expired()) {
    pollfd p{slow.fd(), static_cast<short>(POLLIN | (to_send.is_at_end() ? 0 : POLLOUT)), 0};
    REQUIRE(::poll(&p, 1, d.poll_timeout_ms()) >= 0);
    if (p.revents & POLLOUT) REQUIRE(send_some(slow.fd(), to_send));
    if (p.revents & (POLLIN | POLLERR | POLLHUP)) check_some(slow.fd(), to_check, problem);
    if (to_send.is_at_end() && !is_half_closed) {
      slow.shutdown_send();
      is_half_closed = true;
    }
    sample();
  }
  const double total_seconds = seconds_between(slow_start, clock::now());
  INFO(problem);
  CHECK(problem.empty());
  CHECK(to_check.position() == total);
  const read_result end = slow.read_until_eof();
  CHECK(end.data.empty());
  CHECK(end.is_eof);
  WARN("slow reader: stalled after "
       << sent_while_quiet / 1024 << " KiB; " << round_trips << " pings, slowest "
       << std::chrono::duration<double>(slowest_round_trip).count() * 1000 << " ms; server RSS +"
       << rss_growth_quiet / 1024 << " KiB while it did not read, +"
       << (rss_peak - rss_before) / 1024 << " KiB in all; 200 MiB "
       << "back in order after " << total_seconds << " s");
  CHECK(server.wait_for_log("209715200 bytes in, 209715200 bytes out (eof)"));
}

TEST_CASE("load: thousands of connections open at once each echo their own line",
          "[integration][load]") {
  // Our own descriptors bound how many clients we can open: raise the soft limit to the hard one.
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  limit.rlim_cur = limit.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  constexpr std::size_t wanted = 10000;
  constexpr std::size_t reserve = 64;  // stdio, pipes to the server, and the like
  const std::size_t count =
      limit.rlim_cur == RLIM_INFINITY
          ? wanted
          : std::min<std::size_t>(wanted, limit.rlim_cur > reserve ? limit.rlim_cur - reserve : 0);
  if (count < 1000) {
    WARN("skipped: only " << limit.rlim_cur << " descriptors allowed (ulimit -Hn)");
    return;
  }

  running_server server;
  const auto start = clock::now();
  std::vector<std::unique_ptr<conversation>> clients;
  std::vector<conversation*> talks;
  clients.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    clients.push_back(std::make_unique<conversation>(
        tcp_client::connect(server.host(), server.port(), deadline::in(seconds(10)))));
    talks.push_back(clients.back().get());
  }
  // Nobody has sent anything yet: all of them are open at once.
  REQUIRE(server.wait_for_log("(" + std::to_string(count) + " open)", deadline::in(seconds(30))));
  const auto all_open = clock::now();
  const std::uint64_t server_rss = resident_bytes(server.proc().pid());

  std::uint64_t bytes = 0;
  const auto line_of = [](std::size_t i) {
    return "connection " + std::to_string(i) + " of many\n";
  };
  for (std::size_t i = 0; i < count; ++i) {
    clients[i]->send(line_of(i));
    bytes += line_of(i).size();
  }
  std::size_t next_to_check = 0;
  const bool all_echoed = drive(talks, deadline::in(seconds(30)), [&] {
    while (next_to_check < count &&
           clients[next_to_check]->received().size() >= line_of(next_to_check).size()) {
      ++next_to_check;
    }
    return next_to_check == count;
  });
  const auto echoed = clock::now();
  CHECK(all_echoed);
  std::size_t wrong = 0;
  std::string first_wrong;
  for (std::size_t i = 0; i < count; ++i) {
    if (clients[i]->received() != line_of(i) || clients[i]->is_finished()) {
      if (wrong++ == 0) first_wrong = std::to_string(i) + ": " + clients[i]->received();
    }
  }
  INFO(wrong << " connections got a wrong echo; the first: " << first_wrong);
  CHECK(wrong == 0);

  clients.clear();
  talks.clear();
  CHECK(server.wait_for_log_count("info: closed ", count, deadline::in(seconds(30))));
  const auto closed = clock::now();
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains("shut down: served " + std::to_string(count) +
                                           " connections, " + std::to_string(bytes) +
                                           " bytes in, " + std::to_string(bytes) + " bytes out\n"));
  WARN(count << " connections: all open after " << seconds_between(start, all_open)
             << " s (server RSS " << server_rss / mib << " MiB), all echoed after "
             << seconds_between(all_open, echoed) << " s more, all closed after "
             << seconds_between(echoed, closed) << " s more");
}
