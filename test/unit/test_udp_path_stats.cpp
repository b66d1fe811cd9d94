// The UDP bench's path accounting, on made-up sequences: in order, a reordered pair, a duplicate,
// a gap that becomes loss at the deadline, late replies, slots that stay taken while pending, and
// RFC 3550 jitter of a known arrival pattern.

#include "client/udp_path_stats.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>

using echo::udp_path_stats;
using kind = udp_path_stats::reply_kind;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

const udp_path_stats::clock::time_point t0{};

// Sends `count` counted datagrams, one every `every`, from t0.
void send(udp_path_stats& stats, int count, microseconds every = microseconds(100)) {
  for (int i = 0; i < count; ++i) {
    REQUIRE(stats.can_send());
    stats.on_sent(t0 + stats.next_seq() * every, true);
  }
}

}  // namespace

TEST_CASE("udp_path_stats: replies in order are received, none reordered", "[unit][udp]") {
  udp_path_stats stats(64);
  send(stats, 5);
  for (std::uint64_t seq = 0; seq < 5; ++seq) {
    const auto r = stats.on_reply(seq, t0 + milliseconds(1) + seq * microseconds(100));
    CHECK(r.kind == kind::fresh);
    CHECK(r.is_counted);
    CHECK(r.sent == t0 + seq * microseconds(100));
  }
  CHECK(stats.sent() == 5);
  CHECK(stats.received() == 5);
  CHECK(stats.reordered() == 0);
  CHECK(stats.duplicated() == 0);
  CHECK(stats.in_flight() == 0);
  CHECK(stats.expire(t0 + milliseconds(100), milliseconds(10)) == 0);
  CHECK(stats.lost() == 0);
}

TEST_CASE("udp_path_stats: a reordered pair counts one reordered", "[unit][udp]") {
  udp_path_stats stats(64);
  send(stats, 4);
  for (const std::uint64_t seq : {0, 2, 1, 3}) {
    CHECK(stats.on_reply(seq, t0 + milliseconds(1)).kind == kind::fresh);
  }
  CHECK(stats.received() == 4);
  CHECK(stats.reordered() == 1);
}

TEST_CASE("udp_path_stats: a duplicate counts once and is not received twice", "[unit][udp]") {
  udp_path_stats stats(64);
  send(stats, 3);
  CHECK(stats.on_reply(0, t0 + milliseconds(1)).kind == kind::fresh);
  CHECK(stats.on_reply(1, t0 + milliseconds(1)).kind == kind::fresh);
  CHECK(stats.on_reply(1, t0 + milliseconds(1)).kind == kind::duplicate);
  CHECK(stats.on_reply(2, t0 + milliseconds(1)).kind == kind::fresh);
  CHECK(stats.received() == 3);
  CHECK(stats.duplicated() == 1);
  CHECK(stats.reordered() == 0);
}

TEST_CASE("udp_path_stats: a gap becomes loss at the deadline, not before", "[unit][udp]") {
  udp_path_stats stats(64);
  send(stats, 5);  // sent at 0, 100, ..., 400 us
  for (const std::uint64_t seq : {0, 1, 3, 4}) stats.on_reply(seq, t0 + milliseconds(1));
  CHECK(stats.in_flight() == 1);
  // Datagram 2 went at 200 us: with a 10 ms deadline it is lost from 10.2 ms on.
  CHECK(stats.expire(t0 + microseconds(10'199), milliseconds(10)) == 0);
  CHECK(stats.lost() == 0);
  CHECK(stats.expire(t0 + microseconds(10'200), milliseconds(10)) == 1);
  CHECK(stats.lost() == 1);
  CHECK(stats.in_flight() == 0);
  CHECK(stats.sent() == stats.received() + stats.lost());
  // Its reply after the deadline is late: neither received nor a duplicate.
  CHECK(stats.on_reply(2, t0 + milliseconds(20)).kind == kind::late);
  CHECK(stats.received() == 4);
  CHECK(stats.late() == 1);
}

TEST_CASE("udp_path_stats: a pending slot is not reused; a lost one is", "[unit][udp]") {
  udp_path_stats stats(4);
  REQUIRE(stats.window() == 4);
  send(stats, 4);
  CHECK_FALSE(stats.can_send());
  stats.on_reply(1, t0 + milliseconds(1));
  CHECK_FALSE(stats.can_send());  // the next datagram takes datagram 0's slot, still pending
  CHECK(stats.expire(t0 + milliseconds(50), milliseconds(10)) == 3);
  CHECK(stats.can_send());
  send(stats, 4);
  CHECK(stats.sent() == 8);
  // Datagram 0 is out of the window now: its reply is late, and 4 (in its slot) still pending.
  CHECK(stats.on_reply(0, t0 + milliseconds(51)).kind == kind::late);
  CHECK(stats.on_reply(4, t0 + milliseconds(51)).kind == kind::fresh);
  CHECK(stats.on_reply(9, t0 + milliseconds(51)).kind == kind::unknown);
}

TEST_CASE("udp_path_stats: datagrams outside the window count nothing", "[unit][udp]") {
  udp_path_stats stats(64);
  stats.on_sent(t0, false);  // warmup
  stats.on_sent(t0, true);
  const auto warm = stats.on_reply(0, t0 + milliseconds(1));
  CHECK(warm.kind == kind::fresh);
  CHECK_FALSE(warm.is_counted);
  CHECK(stats.sent() == 1);
  CHECK(stats.received() == 0);
  CHECK(stats.on_reply(1, t0 + milliseconds(1)).is_counted);
  CHECK(stats.received() == 1);
}

TEST_CASE("udp_path_stats: RFC 3550 jitter of a known arrival pattern", "[unit][udp]") {
  udp_path_stats stats(64);
  // Sent every 1 ms; transit alternates 100 us and 300 us, so |D| is 200 us each time.
  send(stats, 5, microseconds(1000));
  double expected = 0;
  for (std::uint64_t seq = 0; seq < 5; ++seq) {
    const auto transit = microseconds(seq % 2 == 0 ? 100 : 300);
    stats.on_reply(seq, t0 + seq * microseconds(1000) + transit);
    if (seq > 0) expected += (200'000.0 - expected) / 16;
  }
  CHECK(stats.jitter_samples() == 4);
  CHECK(stats.jitter_ns() == Approx(expected));
  // 200 us x (1 - (15/16)^4): about 45.5 us.
  CHECK(stats.jitter_ns() == Approx(200'000.0 * (1 - std::pow(15.0 / 16, 4))));
}

TEST_CASE("udp_path_stats: steady transit has no jitter", "[unit][udp]") {
  udp_path_stats stats(64);
  send(stats, 10, microseconds(1000));
  for (std::uint64_t seq = 0; seq < 10; ++seq) {
    stats.on_reply(seq, t0 + seq * microseconds(1000) + microseconds(150));
  }
  CHECK(stats.jitter_ns() == 0);
}
