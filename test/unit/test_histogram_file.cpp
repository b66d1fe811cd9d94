// --histogram's text: HdrHistogram's percentile distribution (hdr_percentiles_print, CLASSIC), as
// wrk2 prints it and HdrHistogram's plotter reads it. The expected text for 1..1000 ms was worked
// out apart from this code, by a small model of HdrHistogram's percentile iterator over the same
// bucket layout (128 sub-buckets; values are bucket tops, capped at the largest recorded).

#include "client/histogram_file.hpp"

#include "scratch.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>

using echo::latency_histogram;
using std::chrono::milliseconds;

namespace {

constexpr const char* uniform_1_to_1000_ms =
    R"(       Value   Percentile   TotalCount 1/(1-Percentile)

       1.008     0.000000            1         1.00
     100.663     0.100000          100         1.11
     201.327     0.200000          201         1.25
     301.990     0.300000          301         1.43
     402.653     0.400000          402         1.67
     503.316     0.500000          503         2.00
     553.648     0.550000          553         2.22
     603.980     0.600000          603         2.50
     654.311     0.650000          654         2.86
     704.643     0.700000          704         3.33
     754.975     0.750000          754         4.00
     780.141     0.775000          780         4.44
     805.306     0.800000          805         5.00
     830.472     0.825000          830         5.71
     855.638     0.850000          855         6.67
     880.804     0.875000          880         8.00
     889.192     0.887500          889         8.89
     905.970     0.900000          905        10.00
     914.358     0.912500          914        11.43
     931.135     0.925000          931        13.33
     939.524     0.937500          939        16.00
     947.913     0.943750          947        17.78
     956.301     0.950000          956        20.00
     964.690     0.956250          964        22.86
     964.690     0.962500          964        26.67
     973.079     0.968750          973        32.00
     973.079     0.971875          973        35.56
     981.467     0.975000          981        40.00
     981.467     0.978125          981        45.71
     989.856     0.981250          989        53.33
     989.856     0.984375          989        64.00
     989.856     0.985938          989        71.11
     989.856     0.987500          989        80.00
     998.244     0.989062          998        91.43
     998.244     0.990625          998       106.67
     998.244     0.992188          998       128.00
     998.244     0.992969          998       142.22
     998.244     0.993750          998       160.00
     998.244     0.994531          998       182.86
     998.244     0.995313          998       213.33
     998.244     0.996094          998       256.00
     998.244     0.996484          998       284.44
     998.244     0.996875          998       320.00
     998.244     0.997266          998       365.71
     998.244     0.997656          998       426.67
    1000.000     0.998047         1000       512.00
    1000.000     1.000000         1000          inf
#[Mean    =      500.509, StdDeviation   =      288.683]
#[Max     =     1000.000, Total count    =         1000]
#[Buckets =           58, SubBuckets     =          128]
)";

}  // namespace

TEST_CASE("histogram_file: 1..1000 ms uniform gives HdrHistogram's rows and footer",
          "[unit][bench]") {
  latency_histogram h;
  for (int ms = 1; ms <= 1000; ++ms) h.record(milliseconds(ms));
  CHECK(echo::percentile_distribution(h) == uniform_1_to_1000_ms);
}

TEST_CASE("histogram_file: one value is a row at 0% and one at 100%", "[unit][bench]") {
  latency_histogram h;
  h.record(std::chrono::microseconds(50));
  CHECK(echo::percentile_distribution(h) ==
        "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n"
        "       0.050     0.000000            1         1.00\n"
        "       0.050     1.000000            1          inf\n"
        "#[Mean    =        0.050, StdDeviation   =        0.000]\n"
        "#[Max     =        0.050, Total count    =            1]\n"
        "#[Buckets =           58, SubBuckets     =          128]\n");
}

TEST_CASE("histogram_file: an empty histogram has the header and footer only", "[unit][bench]") {
  const latency_histogram h;
  CHECK(echo::percentile_distribution(h) ==
        "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n"
        "#[Mean    =        0.000, StdDeviation   =        0.000]\n"
        "#[Max     =        0.000, Total count    =            0]\n"
        "#[Buckets =           58, SubBuckets     =          128]\n");
}

TEST_CASE("histogram_file: the file holds the text; an unwritable path is one line",
          "[unit][bench]") {
  latency_histogram h;
  for (int ms = 1; ms <= 1000; ++ms) h.record(milliseconds(ms));
  const echo::test::scratch_file file("");
  auto created = echo::histogram_file::create(file.path());
  REQUIRE(std::holds_alternative<echo::histogram_file>(created));
  CHECK_FALSE(std::get<echo::histogram_file>(created).write(h));
  std::ifstream in(file.path());
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == uniform_1_to_1000_ms);

  auto refused = echo::histogram_file::create("/nonexistent-echo-test-dir/h.txt");
  REQUIRE(std::holds_alternative<echo::failure>(refused));
  CHECK(std::get<echo::failure>(refused).message ==
        "cannot write --histogram /nonexistent-echo-test-dir/h.txt: No such file or directory");
}
