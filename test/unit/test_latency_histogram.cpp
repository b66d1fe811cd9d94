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
