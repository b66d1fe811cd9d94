// token_bucket and per_source_limiter: exact counts for bursts and refills with the time passed
// in, sources kept apart (IPv4 by address, IPv6 by /64, IPv4-mapped as IPv4), the fixed table and
// its eviction order, and a flood of a million spoofed sources that neither grows the table nor
// changes a single verdict for a steady source or for one being limited.

#include "server/udp_rate_limit.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

namespace {

using echo::address_bytes;
using echo::per_source_limiter;
using echo::token_bucket;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Any fixed instant: the limiters only look at differences.
const echo::rate_clock::time_point t0 = echo::rate_clock::time_point{} + std::chrono::hours(1000);

address_bytes source(const std::string& text) {
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return echo::to_address_bytes(v4);
  in6_addr v6;
  REQUIRE(inet_pton(AF_INET6, text.c_str(), &v6) == 1);
  return echo::to_address_bytes(v6);
}

template <typename Allow>
int count_passed(int datagrams, Allow&& allow) {
  int passed = 0;
  for (int i = 0; i < datagrams; ++i) passed += allow() ? 1 : 0;
  return passed;
}

}  // namespace

TEST_CASE("token_bucket: a burst over the rate passes exactly the burst", "[udp_rate_limit]") {
  token_bucket bucket(100);
  CHECK(bucket.rate() == 100);
  CHECK(bucket.burst() == 100);
  for (int i = 0; i < 100; ++i) CHECK(bucket.allow(t0));
  CHECK(count_passed(150, [&] { return bucket.allow(t0); }) == 0);
}

TEST_CASE("token_bucket: refills one per 1/N s, never beyond the burst", "[udp_rate_limit]") {
  token_bucket bucket(100);  // one every 10 ms
  REQUIRE(count_passed(100, [&] { return bucket.allow(t0); }) == 100);
  CHECK(count_passed(10, [&] { return bucket.allow(t0 + milliseconds(9)); }) == 0);
  CHECK(count_passed(10, [&] { return bucket.allow(t0 + milliseconds(10)); }) == 1);
  CHECK(count_passed(10, [&] { return bucket.allow(t0 + milliseconds(59)); }) == 4);
  // Idle for far longer than a second: full again, and no fuller.
  CHECK(count_passed(300, [&] { return bucket.allow(t0 + seconds(60)); }) == 100);
}

TEST_CASE("token_bucket: sending at twice the rate passes the burst plus the rate",
          "[udp_rate_limit]") {
  token_bucket bucket(100);
  int passed = 0;
  // One every 5 ms for 10 s, the last at 9.995 s: 100 (the burst) + 999 refilled.
  for (int i = 0; i < 2000; ++i) passed += bucket.allow(t0 + milliseconds(5 * i)) ? 1 : 0;
  CHECK(passed == 1099);

  token_bucket steady(100);
  // At exactly the rate, nothing is ever dropped.
  for (int i = 0; i < 2000; ++i) CHECK(steady.allow(t0 + milliseconds(10 * i)));
}

TEST_CASE("token_bucket: rates are clamped to 1..10^9 a second", "[udp_rate_limit]") {
  token_bucket zero(0);
  CHECK(zero.rate() == 1);
  CHECK(zero.allow(t0));
  CHECK_FALSE(zero.allow(t0 + milliseconds(999)));
  CHECK(zero.allow(t0 + seconds(1)));
  CHECK(token_bucket(5'000'000'000).rate() == 1'000'000'000);
}

TEST_CASE("per_source_limiter: a burst from one source, another unaffected", "[udp_rate_limit]") {
  per_source_limiter limiter(10);
  const auto a = source("192.0.2.1");
  const auto b = source("192.0.2.2");
  const auto c = source("2001:db8::1");
  CHECK(count_passed(25, [&] { return limiter.allow(a, t0); }) == 10);
  CHECK(count_passed(25, [&] { return limiter.allow(b, t0); }) == 10);
  CHECK(count_passed(25, [&] { return limiter.allow(c, t0); }) == 10);
  // Refill is per source too: 300 ms later, three each.
  CHECK(count_passed(25, [&] { return limiter.allow(a, t0 + milliseconds(300)); }) == 3);
  CHECK(count_passed(25, [&] { return limiter.allow(b, t0 + milliseconds(300)); }) == 3);
}

TEST_CASE("per_source_limiter: IPv6 by /64, IPv4-mapped as IPv4", "[udp_rate_limit]") {
  per_source_limiter limiter(10);
  REQUIRE(count_passed(10, [&] { return limiter.allow(source("2001:db8::1"), t0); }) == 10);
  // The same /64: the same bucket, already empty.
  CHECK_FALSE(limiter.allow(source("2001:db8::ffff:ffff:ffff:ffff"), t0));
  CHECK_FALSE(limiter.allow(source("2001:db8:0:0:1234::"), t0));
  // The next /64s: buckets of their own.
  CHECK(count_passed(25, [&] { return limiter.allow(source("2001:db8:0:1::1"), t0); }) == 10);
  CHECK(count_passed(25, [&] { return limiter.allow(source("2001:db9::1"), t0); }) == 10);

  REQUIRE(count_passed(10, [&] { return limiter.allow(source("192.0.2.1"), t0); }) == 10);
  address_bytes mapped;  // filled by hand, as the bytes of a dual-stack socket's peer
  mapped.family = echo::address_family::v6;
  mapped.bytes[10] = mapped.bytes[11] = 0xff;
  mapped.bytes[12] = 192;
  mapped.bytes[14] = 2;
  mapped.bytes[15] = 1;
  CHECK_FALSE(limiter.allow(mapped, t0));
  // IPv4 0.0.0.1 and the /64 0:0:0:1::/64 have the same 64-bit key value: still not one bucket.
  REQUIRE(count_passed(10, [&] { return limiter.allow(source("0.0.0.1"), t0); }) == 10);
  CHECK(limiter.allow(source("0:0:0:1::1"), t0));
}

TEST_CASE("per_source_limiter: a fixed table, its size rounded up to whole sets",
          "[udp_rate_limit]") {
  const per_source_limiter standard(10);
  CHECK(standard.capacity() == 65'536);
  CHECK(standard.memory_bytes() == 65'536 * 17);  // 1.06 MiB
  CHECK(per_source_limiter(10, 1).capacity() == 8);
  CHECK(per_source_limiter(10, 100).capacity() == 128);
}

TEST_CASE("per_source_limiter: eviction takes a refilled entry before one that still owes",
          "[udp_rate_limit]") {
  per_source_limiter limiter(10, 8, {1, 2});  // one set of 8; 10/s: one every 100 ms
  const auto owing = source("198.51.100.1");
  REQUIRE(count_passed(10, [&] { return limiter.allow(owing, t0); }) == 10);
  for (int i = 1; i <= 7; ++i) REQUIRE(limiter.allow(source("192.0.2." + std::to_string(i)), t0));
  // Half a second later the seven one-datagram sources are full again; `owing` has 5 of 10.
  const auto later = t0 + milliseconds(500);
  for (int i = 1; i <= 20; ++i) {
    CHECK(limiter.allow(source("203.0.113." + std::to_string(i)), later));
  }
  // The first 7 new sources took refilled entries (nothing lost); the other 13 each took the
  // entry of a new source that still owed 100 ms. The source that owed most was kept...
  CHECK(limiter.evictions() == 13);
  // ...so it still has 5, not a fresh 10 (least-recently-seen eviction would have reset it).
  CHECK(count_passed(10, [&] { return limiter.allow(owing, later); }) == 5);
}

TEST_CASE("per_source_limiter: a million spoofed sources change nothing for real ones",
          "[udp_rate_limit]") {
  per_source_limiter limiter(100);  // the default table, a random seed: as the server has it
  const std::size_t capacity = limiter.capacity();
  const std::size_t memory = limiter.memory_bytes();
  token_bucket abuser_alone(100);  // what the abuser would get without the flood

  const auto steady = source("192.0.2.10");    // 50/s: within its rate
  const auto abuser = source("2001:db8::66");  // 1,000/s: ten times its rate
  int spoofed_passed = 0, steady_sent = 0, steady_passed = 0, abuser_passed = 0;
  int abuser_mismatches = 0;
  // One second, a spoofed datagram every microsecond from a new source: half IPv4, half IPv6
  // /64s (the host part varies too, to no effect).
  for (std::uint32_t i = 0; i < 1'000'000; ++i) {
    const auto now = t0 + microseconds(i);
    address_bytes spoofed;
    if (i % 2 == 0) {
      spoofed.family = echo::address_family::v4;
      std::memcpy(spoofed.bytes.data(), &i, 4);
    } else {
      spoofed.family = echo::address_family::v6;
      spoofed.bytes[0] = 0x20;
      std::memcpy(spoofed.bytes.data() + 4, &i, 4);
      std::memcpy(spoofed.bytes.data() + 12, &i, 4);
    }
    spoofed_passed += limiter.allow(spoofed, now) ? 1 : 0;
    if (i % 20'000 == 7) {
      ++steady_sent;
      steady_passed += limiter.allow(steady, now) ? 1 : 0;
    }
    if (i % 1'000 == 3) {
      const bool passed = limiter.allow(abuser, now);
      abuser_passed += passed ? 1 : 0;
      abuser_mismatches += passed != abuser_alone.allow(now) ? 1 : 0;
    }
  }
  INFO(limiter.evictions() << " evictions of entries that still owed");
  // Every spoofed source is new, so its first datagram passes (the flood is --udp-rate's job).
  CHECK(spoofed_passed == 1'000'000);
  // The steady source is never dropped: evicted or not, a source within its rate passes.
  CHECK(steady_sent == 50);
  CHECK(steady_passed == steady_sent);
  // The abuser owes far more than any one-datagram source, so eviction never picks it: every
  // verdict is the one its own bucket gives: 199 of its 1,000 (the burst of 100, then one every
  // 10 ms until 999 ms).
  CHECK(abuser_mismatches == 0);
  CHECK(abuser_passed == 199);
  CHECK(limiter.capacity() == capacity);
  CHECK(limiter.memory_bytes() == memory);
}
