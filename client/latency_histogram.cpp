#include "client/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace echo {

// Values below 2 * sub_count have a bucket each; above, the bucket keeps the top sub_bits + 1
// significant bits, so its width is under 1/64 of its value.
std::size_t latency_histogram::index_of(std::uint64_t value) {
  if (value < 2 * sub_count) return static_cast<std::size_t>(value);
  const int top_bit = 63 - __builtin_clzll(value);
  const int shift = top_bit - sub_bits;
  const auto mantissa = static_cast<std::size_t>(value >> shift);  // sub_count .. 2*sub_count-1
  return static_cast<std::size_t>(shift + 1) * sub_count + (mantissa - sub_count);
}

// The middle of the bucket's range.
std::uint64_t latency_histogram::value_of(std::size_t index) {
  if (index < 2 * sub_count) return index;
  const auto shift = static_cast<int>(index / sub_count) - 1;
  const std::uint64_t mantissa = index % sub_count + sub_count;
  return (mantissa << shift) + ((std::uint64_t{1} << shift) >> 1);
}

void latency_histogram::record(std::chrono::nanoseconds latency) {
  const auto value = static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0));
  ++buckets_[index_of(value)];
  ++count_;
  if (value > max_) max_ = value;
}

void latency_histogram::merge(const latency_histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::chrono::nanoseconds latency_histogram::percentile(double fraction) const {
  if (count_ == 0) return std::chrono::nanoseconds(0);
  const auto rank = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  if (rank >= count_) return max();  // the slowest one is known exactly
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank && buckets_[i] != 0) {
      return std::chrono::nanoseconds(std::min(value_of(i), max_));
    }
  }
  return max();
}

}  // namespace echo
