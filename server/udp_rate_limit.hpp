#pragma once
// The UDP rate limiters: token_bucket for the whole server (--udp-rate N) and per_source_limiter
// for each source (--udp-rate-per-source N). Each reactor creates and owns its own (workers share
// nothing) and asks allow() once per datagram before answering it; a false means drop and count.
// Plain C++, no I/O, no clock: the caller passes the time, so tests need no sleeping. Neither
// allocates after construction.
//
// Rate and burst: N datagrams per second, with a burst of N (one second's worth, and at least 1):
// a bucket that was idle for a second lets N through at once, then one every 1/N s. Over any
// interval of t seconds at most N + N*t pass. N is clamped to 1..1,000,000,000, and 1/N is kept
// in whole nanoseconds (rounded down), so a rate that does not divide 10^9 runs a hair fast (by
// less than N/10^9 relative: under 0.01% at 100,000 a second). 0 is clamped to 1: a server that
// reads 0 as "no limit" should create no limiter at all.
//
// Each bucket is GCRA's theoretical arrival time (the ATM generic cell rate algorithm, ITU-T
// I.371: a token bucket kept as one number): tat is when the bucket will be full again; a
// datagram at `now` passes when tat - now is at most (burst - 1)/N, and then moves tat on by 1/N.
// The same verdicts as counting tokens, in one int64 and without division.

#include "common/address_bytes.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace echo {

using rate_clock = std::chrono::steady_clock;

namespace detail {

// The GCRA step both limiters share; times in nanoseconds of rate_clock.
struct gcra {
  explicit gcra(std::uint64_t per_second);

  // Whether a datagram at `now` passes; if so, charges it to `tat`. An empty (never used) bucket
  // has tat = empty_bucket.
  bool take(std::int64_t& tat, std::int64_t now) const {
    if (tat < now) tat = now;  // full: unused capacity does not pile up beyond the burst
    if (tat - now > tolerance) return false;
    tat += interval;
    return true;
  }

  static constexpr std::int64_t empty_bucket = std::numeric_limits<std::int64_t>::min();
  std::uint64_t rate;
  std::uint64_t burst;
  std::int64_t interval;   // ns per datagram: 10^9 / rate
  std::int64_t tolerance;  // (burst - 1) * interval
};

inline std::int64_t nanoseconds_of(rate_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace detail

// One bucket: the whole server's limit.
class token_bucket {
 public:
  // Starts full.
  explicit token_bucket(std::uint64_t per_second) : gcra_(per_second) {}

  // Whether one datagram arriving at `now` passes. Times should not go backwards (a steady
  // clock's do not); if they do, the bucket is simply stricter until the clock catches up.
  bool allow(rate_clock::time_point now) { return gcra_.take(tat_, detail::nanoseconds_of(now)); }

  std::uint64_t rate() const { return gcra_.rate; }
  std::uint64_t burst() const { return gcra_.burst; }

 private:
  detail::gcra gcra_;
  std::int64_t tat_ = detail::gcra::empty_bucket;
};

// One bucket per source, in a fixed table so that a flood of spoofed sources cannot grow memory.
// The source is the IPv4 address, or the IPv6 /64 (one host usually owns a whole /64, so
// per-address buckets would hand it 2^64 of them); IPv4-mapped IPv6 counts as IPv4.
//
// Table: capacity entries (rounded up to a power of two, at least `ways`), allocated once in the
// constructor: 17 bytes an entry, 1.06 MiB at the default 65,536. It is `ways`-way set
// associative: a source hashes to one set of 8 entries, so a lookup compares 8 keys (one cache
// line of keys, one of buckets), whatever the load. The hash is SipHash-1-3 keyed with a random
// 128-bit seed drawn for each limiter, so a spoofer cannot aim its sources at one set.
//
// Eviction: a new source takes the entry of its set whose bucket is fullest (smallest tat): an
// empty entry first, then one whose bucket has refilled completely (it holds nothing a fresh
// bucket would not), and only then the one closest to full. For sources sending one datagram
// each, that is the least recently seen; a source being limited owes the most and is kept the
// longest. So eviction can only ever make the limiter more lenient (an evicted source comes back
// with a full bucket), never drop a datagram a bucket of its own would have passed: a source
// within its rate is never dropped, whatever the flood. What a flood can do is make a source that
// exceeds its rate forgotten early, once more new sources than `ways` hit its set while it still
// owes; evictions() counts those.
class per_source_limiter {
 public:
  static constexpr std::size_t ways = 8;
  static constexpr std::size_t default_capacity = 65'536;

  explicit per_source_limiter(std::uint64_t per_second, std::size_t capacity = default_capacity);
  // The same with a chosen hash seed, for tests that need repeatable sets.
  per_source_limiter(std::uint64_t per_second, std::size_t capacity,
                     std::array<std::uint64_t, 2> seed);

  // Whether one datagram from `source` at `now` passes. O(1), no allocation.
  bool allow(const address_bytes& source, rate_clock::time_point now);

  std::size_t capacity() const { return sets_.size() * ways; }
  std::size_t memory_bytes() const { return sets_.size() * sizeof(set); }
  // Entries taken over while their source still owed datagrams (see Eviction above).
  std::uint64_t evictions() const { return evictions_; }
  std::uint64_t rate() const { return gcra_.rate; }
  std::uint64_t burst() const { return gcra_.burst; }

 private:
  struct set {
    std::array<std::uint64_t, ways> keys;
    std::array<std::int64_t, ways> tats;
    std::array<std::uint8_t, ways> tags;  // 1 + the key's address_family; 0 = empty
  };

  detail::gcra gcra_;
  std::array<std::uint64_t, 2> seed_;
  std::vector<set> sets_;
  std::uint64_t evictions_ = 0;
};

}  // namespace echo
