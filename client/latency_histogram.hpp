#pragma once
// Latencies for the bench mode, in a fixed log-bucketed histogram: memory does not grow with the
// run, recording is a few instructions, and percentiles are within 1% of the true value (each
// power of two is split into 64 buckets). Owned by one bench run; not thread-safe: with --threads
// each reactor keeps its own and the report merges them, exactly (the buckets are the same).

#include <array>
#include <chrono>
#include <cstdint>

namespace echo {

class latency_histogram {
 public:
  void record(std::chrono::nanoseconds latency);
  // Adds what `other` recorded: afterwards every figure is what one histogram that had recorded
  // both sets would give.
  void merge(const latency_histogram& other);

  std::uint64_t count() const { return count_; }
  // The latency below which `fraction` (0.5 for p50, 0.999 for p99.9) of the recorded ones fall;
  // 0 when nothing was recorded.
  std::chrono::nanoseconds percentile(double fraction) const;
  std::chrono::nanoseconds max() const { return std::chrono::nanoseconds(max_); }

  // One bucket with a count: the nanoseconds it covers (lowest to highest, both included), the
  // value that stands for them (its middle, as percentile() gives) and how many fell in it.
  struct bucket {
    std::uint64_t lowest;
    std::uint64_t highest;
    std::uint64_t middle;
    std::uint64_t count;
  };
  // Calls visit(bucket) for each bucket with a count, lowest values first. The layout is
  // HdrHistogram's with 128 sub-buckets: values below 128 have a bucket each, and each power of
  // two above is split into 64 (bucket_count and sub_bucket_count below).
  template <class Visit>
  void for_each_bucket(Visit&& visit) const {
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      if (buckets_[i] == 0) continue;
      const std::uint64_t lowest = i < 2 * sub_count ? i : value_of(i) - (width_of(i) >> 1);
      visit(bucket{lowest, lowest + width_of(i) - 1, value_of(i), buckets_[i]});
    }
  }
  static constexpr int bucket_count = 58;       // HdrHistogram's "Buckets", up to 2^64 ns
  static constexpr int sub_bucket_count = 128;  // and "SubBuckets"

 private:
  static constexpr int sub_bits = 6;  // 64 buckets per power of two
  static constexpr int sub_count = 1 << sub_bits;
  static constexpr int exponents = 64 - sub_bits;
  static_assert(bucket_count == exponents && sub_bucket_count == 2 * sub_count);

  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t value_of(std::size_t index);
  static std::uint64_t width_of(std::size_t index) {
    return index < 2 * sub_count ? 1 : std::uint64_t{1} << (index / sub_count - 1);
  }

  std::array<std::uint64_t, (exponents + 1) * sub_count> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace echo
