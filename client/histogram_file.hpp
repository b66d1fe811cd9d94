#pragma once
// --histogram FILE: the bench's latency distribution in HdrHistogram's percentile-distribution
// text, as HdrHistogram's outputPercentileDistribution and hdr_percentiles_print (CLASSIC) write
// it and wrk2 prints it, so that HdrHistogram's plotter (plotFiles.html) and the scripts made for
// it read ours: rows at the percentile ticks (5 per half-distance to 100%), values in
// milliseconds with 3 decimals, then the Mean/StdDeviation, Max/Total count and
// Buckets/SubBuckets footer. Created by the bench before its run, so that a path that cannot be
// written fails at once; write() once the flows have stopped.

#include "client/latency_histogram.hpp"
#include "common/errors.hpp"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace echo {

// The text itself, with `ticks_per_half_distance` rows per half of the remaining distance to the
// 100th percentile. Each row's value is the highest value of its bucket (as HdrHistogram's
// "highest equivalent value"), but never above the largest latency recorded.
std::string percentile_distribution(const latency_histogram& latencies,
                                    int ticks_per_half_distance = 5);

class histogram_file {
 public:
  // Creates (or truncates) `path`; the failure names it ("cannot write --histogram x: ...").
  static std::variant<histogram_file, failure> create(const std::string& path);
  // The file of --histogram, created now so that a bad path fails before any load; none when
  // `path` is empty.
  static std::variant<std::optional<histogram_file>, failure> create_if_asked(
      const std::string& path);

  std::optional<failure> write(const latency_histogram& latencies);

 private:
  struct closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  histogram_file(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}

  std::string path_;
  std::unique_ptr<std::FILE, closer> file_;
};

}  // namespace echo
