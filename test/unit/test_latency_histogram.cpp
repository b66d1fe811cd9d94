// The bench mode's latency histogram: bounded error on percentiles, exact count and max.

#include "client/latency_histogram.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>

using echo::latency_histogram;
using std::chrono::nanoseconds;

TEST_CASE("latency_histogram: empty reports zero", "[unit][bench]") {
  const latency_histogram h;
  CHECK(h.count() == 0);
  CHECK(h.percentile(0.5) == nanoseconds(0));
  CHECK(h.max() == nanoseconds(0));
}

TEST_CASE("latency_histogram: small values are exact", "[unit][bench]") {
  latency_histogram h;
  for (int v = 1; v <= 100; ++v) h.record(nanoseconds(v));
  CHECK(h.count() == 100);
  CHECK(h.percentile(0.5) == nanoseconds(50));
  CHECK(h.percentile(0.99) == nanoseconds(99));
  CHECK(h.percentile(1.0) == nanoseconds(100));
  CHECK(h.max() == nanoseconds(100));
}

TEST_CASE("latency_histogram: percentiles within 1% over six decades", "[unit][bench]") {
  latency_histogram h;
  // 1 us .. 1 s, uniformly on a log scale: the true p-th percentile is 10^(3 + 6p) ns.
  constexpr int n = 60'000;
  for (int i = 0; i < n; ++i) {
    h.record(nanoseconds(static_cast<long long>(std::pow(10.0, 3 + 6.0 * (i + 0.5) / n))));
  }
  for (const double p : {0.5, 0.9, 0.99, 0.999}) {
    INFO("p = " << p);
    const double expected = std::pow(10.0, 3 + 6 * p);
    const auto got = static_cast<double>(h.percentile(p).count());
    CHECK(std::abs(got - expected) / expected < 0.01);
  }
  CHECK(h.max().count() >= 999'000'000);
}

TEST_CASE("latency_histogram: the max is exact and bounds every percentile", "[unit][bench]") {
  latency_histogram h;
  h.record(nanoseconds(1'000));
  h.record(nanoseconds(123'456'789));
  CHECK(h.max() == nanoseconds(123'456'789));
  CHECK(h.percentile(1.0) == nanoseconds(123'456'789));
  CHECK(std::abs(h.percentile(0.5).count() - 1'000) <= 10);  // within its bucket: 1%
}

// --threads: each reactor records its own, and the report merges them. The merge must give what
// one histogram that recorded everything gives, at every percentile, not an approximation.
TEST_CASE("latency_histogram: a merge equals one histogram that recorded everything",
          "[unit][bench]") {
  latency_histogram all;
  latency_histogram odd;
  latency_histogram even;
  for (int i = 0; i < 10'000; ++i) {
    const nanoseconds v(static_cast<long long>(std::pow(10.0, 3 + 5.0 * i / 10'000)));
    all.record(v);
    (i % 2 == 0 ? even : odd).record(v);
  }
  // Skewed halves too: one side holds the slow tail alone.
  latency_histogram fast;
  latency_histogram slow;
  for (int v = 1; v <= 900; ++v) fast.record(nanoseconds(v * 1'000));
  for (int v = 1; v <= 100; ++v) slow.record(nanoseconds(v * 1'000'000));
  latency_histogram both;
  for (int v = 1; v <= 900; ++v) both.record(nanoseconds(v * 1'000));
  for (int v = 1; v <= 100; ++v) both.record(nanoseconds(v * 1'000'000));
  odd.merge(even);
  fast.merge(slow);
  for (const double p : {0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0}) {
    INFO("p = " << p);
    CHECK(odd.percentile(p) == all.percentile(p));
    CHECK(fast.percentile(p) == both.percentile(p));
  }
  CHECK(odd.count() == all.count());
  CHECK(odd.max() == all.max());
  CHECK(fast.count() == 1'000);
  CHECK(fast.max() == nanoseconds(100'000'000));
  CHECK(fast.percentile(0.9) == both.percentile(0.9));
  CHECK(std::abs(fast.percentile(0.95).count() - 50'000'000) <= 500'000);  // within 1%
}

TEST_CASE("latency_histogram: merging an empty one changes nothing", "[unit][bench]") {
  latency_histogram h;
  for (int v = 1; v <= 100; ++v) h.record(nanoseconds(v));
  h.merge(latency_histogram());
  CHECK(h.count() == 100);
  CHECK(h.percentile(0.5) == nanoseconds(50));
  CHECK(h.max() == nanoseconds(100));

  latency_histogram empty;
  empty.merge(latency_histogram());
  CHECK(empty.count() == 0);
  CHECK(empty.percentile(0.99) == nanoseconds(0));
  CHECK(empty.max() == nanoseconds(0));

  empty.merge(h);
  CHECK(empty.count() == 100);
  CHECK(empty.percentile(0.99) == nanoseconds(99));
  CHECK(empty.max() == nanoseconds(100));
}
