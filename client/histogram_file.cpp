#include "client/histogram_file.hpp"

#include "common/escape.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>

namespace echo {

namespace {

constexpr double ns_per_ms = 1e6;

// "%12.3f %12f %12d %12.2f": hdr_percentiles_print's row with 3 significant digits (wrk2's).
void append_row(std::string& text, double value_ms, double percentile, std::uint64_t count) {
  char row[1024];  // a double in %f can take 300-odd digits
  std::snprintf(row, sizeof row, "%12.3f %12f %12llu %12.2f\n", value_ms, percentile,
                static_cast<unsigned long long>(count), 1.0 / (1.0 - percentile));
  text += row;
}

// HdrHistogram's percentile iterator: the next level is a fixed tick within the current half of
// the distance to 100%, so each halving gets the same number of rows.
double next_level(double level, int ticks_per_half_distance) {
  const auto halvings = static_cast<long long>(std::log2(100.0 / (100.0 - level))) + 1;
  return level + 100.0 / (ticks_per_half_distance * std::pow(2.0, static_cast<double>(halvings)));
}

}  // namespace

std::string percentile_distribution(const latency_histogram& latencies,
                                    int ticks_per_half_distance) {
  std::string text;
  char line[1024];  // the footer: 3 lines, each value at most a double's 300-odd digits
  std::snprintf(line, sizeof line, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount",
                "1/(1-Percentile)");
  text += line;
  const std::uint64_t total = latencies.count();
  const auto max = static_cast<std::uint64_t>(latencies.max().count());
  double level = 0;
  std::uint64_t seen = 0;
  double last_value_ms = 0;
  double sum = 0;
  latencies.for_each_bucket([&](const latency_histogram::bucket& b) {
    seen += b.count;
    sum += static_cast<double>(b.middle) * static_cast<double>(b.count);
    last_value_ms = static_cast<double>(std::min(b.highest, max)) / ns_per_ms;
    // As HdrHistogram's: every level this bucket reaches gets a row, but once the last bucket
    // is in, only its first, and then the row at 100%.
    while (level <= 100.0 * static_cast<double>(seen) / static_cast<double>(total)) {
      append_row(text, last_value_ms, level / 100.0, seen);
      level = next_level(level, ticks_per_half_distance);
      if (seen == total) break;
    }
  });
  if (total > 0) append_row(text, last_value_ms, 1.0, total);

  // Mean and deviation from the buckets' middles, as HdrHistogram's.
  const double mean = total == 0 ? 0 : sum / static_cast<double>(total);
  double squares = 0;
  latencies.for_each_bucket([&](const latency_histogram::bucket& b) {
    const double deviation = static_cast<double>(b.middle) - mean;
    squares += deviation * deviation * static_cast<double>(b.count);
  });
  const double deviation = total == 0 ? 0 : std::sqrt(squares / static_cast<double>(total));
  std::snprintf(line, sizeof line,
                "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n"
                "#[Max     = %12.3f, Total count    = %12llu]\n"
                "#[Buckets = %12d, SubBuckets     = %12d]\n",
                mean / ns_per_ms, deviation / ns_per_ms, static_cast<double>(max) / ns_per_ms,
                static_cast<unsigned long long>(total), latency_histogram::bucket_count,
                latency_histogram::sub_bucket_count);
  text += line;
  return text;
}

std::variant<histogram_file, failure> histogram_file::create(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    return failure{exit_code::failure, "cannot write --histogram " + escape_for_log(path) + ": " +
                                           std::strerror(errno)};
  }
  return histogram_file(path, file);
}

std::optional<failure> histogram_file::write(const latency_histogram& latencies) {
  const std::string text = percentile_distribution(latencies);
  const bool is_written = std::fwrite(text.data(), 1, text.size(), file_.get()) == text.size();
  if (is_written && std::fclose(file_.release()) == 0) return std::nullopt;
  return failure{exit_code::failure,
                 "cannot write --histogram " + escape_for_log(path_) + ": " + std::strerror(errno)};
}

std::variant<std::optional<histogram_file>, failure> histogram_file::create_if_asked(
    const std::string& path) {
  if (path.empty()) return std::optional<histogram_file>();
  auto created = create(path);
  if (auto* f = std::get_if<failure>(&created)) return *f;
  return std::optional<histogram_file>(std::move(std::get<histogram_file>(created)));
}

}  // namespace echo
