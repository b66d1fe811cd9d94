// The UDP rate limiters: GCRA buckets, and the per-source table with its keyed hash.

#include "server/udp_rate_limit.hpp"

#include <algorithm>
#include <random>

namespace echo {

namespace detail {

namespace {

constexpr std::uint64_t max_rate = 1'000'000'000;  // one a nanosecond: the clock's resolution

}  // namespace

gcra::gcra(std::uint64_t per_second)
    : rate(std::clamp<std::uint64_t>(per_second, 1, max_rate)),
      burst(rate),
      interval(static_cast<std::int64_t>(max_rate / rate)),
      tolerance(static_cast<std::int64_t>(burst - 1) * interval) {}

}  // namespace detail

namespace {

struct source_key {
  std::uint64_t value;
  std::uint8_t tag;  // 1 + address_family
};

std::uint64_t big_endian(const std::array<std::uint8_t, 16>& b, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v << 8 | b[i];
  return v;
}

// IPv4: the address; IPv6: its /64; anything else: one shared key.
source_key key_of(const address_bytes& source) {
  const address_bytes a = normalized(source);
  const auto tag = static_cast<std::uint8_t>(1 + static_cast<unsigned>(a.family));
  switch (a.family) {
    case address_family::v4:
      return {big_endian(a.bytes, 4), tag};
    case address_family::v6:
      return {big_endian(a.bytes, 8), tag};
    case address_family::none:
      break;
  }
  return {0, tag};
}

constexpr std::uint64_t rotl(std::uint64_t x, int b) { return x << b | x >> (64 - b); }

// SipHash-1-3 (Aumasson and Bernstein; the c=1, d=3 variant Rust's HashMap used) of the 16 bytes
// (value, tag), keyed by `seed`: a keyed PRF, so without the seed the set of a key cannot be
// predicted or aimed at.
std::uint64_t siphash13(const std::array<std::uint64_t, 2>& seed, const source_key& key) {
  std::uint64_t v0 = seed[0] ^ 0x736f6d6570736575ull;
  std::uint64_t v1 = seed[1] ^ 0x646f72616e646f6dull;
  std::uint64_t v2 = seed[0] ^ 0x6c7967656e657261ull;
  std::uint64_t v3 = seed[1] ^ 0x7465646279746573ull;
  const auto round = [&] {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  };
  const std::uint64_t words[] = {key.value, key.tag, std::uint64_t{16} << 56};  // last: length
  for (const std::uint64_t m : words) {
    v3 ^= m;
    round();
    v0 ^= m;
  }
  v2 ^= 0xff;
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

std::array<std::uint64_t, 2> random_seed() {
  std::random_device device;  // getrandom(2) on Linux
  std::array<std::uint64_t, 2> seed{};
  for (auto& s : seed) s = std::uint64_t{device()} << 32 | device();
  return seed;
}

std::size_t set_count(std::size_t capacity) {
  const std::size_t wanted = std::max<std::size_t>(
      1, (capacity + per_source_limiter::ways - 1) / per_source_limiter::ways);
  std::size_t sets = 1;
  while (sets < wanted) sets *= 2;
  return sets;
}

}  // namespace

per_source_limiter::per_source_limiter(std::uint64_t per_second, std::size_t capacity)
    : per_source_limiter(per_second, capacity, random_seed()) {}

per_source_limiter::per_source_limiter(std::uint64_t per_second, std::size_t capacity,
                                       std::array<std::uint64_t, 2> seed)
    : gcra_(per_second), seed_(seed) {
  set empty;
  empty.keys.fill(0);
  empty.tats.fill(detail::gcra::empty_bucket);
  empty.tags.fill(0);
  sets_.assign(set_count(capacity), empty);
}

bool per_source_limiter::allow(const address_bytes& source, rate_clock::time_point now) {
  const source_key key = key_of(source);
  const std::int64_t t = detail::nanoseconds_of(now);
  set& s = sets_[siphash13(seed_, key) & (sets_.size() - 1)];
  std::size_t victim = 0;
  for (std::size_t w = 0; w < ways; ++w) {
    if (s.tags[w] == key.tag && s.keys[w] == key.value) return gcra_.take(s.tats[w], t);
    if (s.tats[w] < s.tats[victim]) victim = w;  // empty entries hold empty_bucket, the minimum
  }
  if (s.tags[victim] != 0 && s.tats[victim] > t) ++evictions_;  // it still owed datagrams
  s.keys[victim] = key.value;
  s.tags[victim] = key.tag;
  s.tats[victim] = detail::gcra::empty_bucket;
  return gcra_.take(s.tats[victim], t);
}

}  // namespace echo
