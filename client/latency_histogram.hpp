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

 private:
  static constexpr int sub_bits = 6;  // 64 buckets per power of two
  static constexpr int sub_count = 1 << sub_bits;
  static constexpr int exponents = 64 - sub_bits;

  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t value_of(std::size_t index);

  std::array<std::uint64_t, (exponents + 1) * sub_count> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace echo
