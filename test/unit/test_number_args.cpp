// number_args: the numeric option values both programs take. The bounds, what counts as a number
// (digits only, nine at most; decimals only where seconds may have them), rounding, and the exact
// wording, which both programs' usage errors show as they are.

#include "common/number_args.hpp"

#include "common/errors.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const echo::usage_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("number_args: whole numbers within their bounds", "[number_args]") {
  CHECK(echo::whole_number("workers", "1", 1, 256) == 1);
  CHECK(echo::whole_number("workers", "256", 1, 256) == 256);
  CHECK(echo::whole_number("n", "007", 0, 10) == 7);
  CHECK(echo::whole_number("n", "999999999", 0, 999999999) == 999999999);
  CHECK(echo::whole_seconds("idle-timeout", "86400", 0) == seconds(86400));
  CHECK(echo::whole_milliseconds("message-wait", "0", 0, 60000) == milliseconds(0));
  CHECK(echo::byte_count("max-line", "999999999999", 1) == 999999999999u);
}

TEST_CASE("number_args: a bad whole number names the flag, the value and the range",
          "[number_args]") {
  struct error_case {
    std::function<void()> read;
    std::string error;
  };
  const std::vector<error_case> cases = {
      {[] { echo::whole_number("workers", "0", 1, 256); },
       "invalid --workers '0': expected a number from 1 to 256"},
      {[] { echo::whole_number("workers", "257", 1, 256); },
       "invalid --workers '257': expected a number from 1 to 256"},
      {[] { echo::whole_number("n", "1000000000", 0, 2000000000); },  // ten digits
       "invalid --n '1000000000': expected a number from 0 to 2000000000"},
      {[] { echo::whole_number("n", "", 0, 5); }, "invalid --n '': expected a number from 0 to 5"},
      {[] { echo::whole_number("n", "+1", 0, 5); },
       "invalid --n '+1': expected a number from 0 to 5"},
      {[] { echo::whole_number("n", " 1", 0, 5); },
       "invalid --n ' 1': expected a number from 0 to 5"},
      {[] { echo::whole_number("n", "1e3", 0, 5000); },
       "invalid --n '1e3': expected a number from 0 to 5000"},
      {[] { echo::whole_seconds("handshake-timeout", "0", 1); },
       "invalid --handshake-timeout '0': expected seconds from 1 to 86400"},
      {[] { echo::whole_seconds("idle-timeout", "1.5", 0); },
       "invalid --idle-timeout '1.5': expected seconds from 0 to 86400"},
      {[] { echo::whole_milliseconds("message-wait", "60001", 0, 60000); },
       "invalid --message-wait '60001': expected milliseconds from 0 to 60000"},
      {[] { echo::byte_count("max-line", "0", 1); },
       "invalid --max-line '0': expected a number of bytes, at least 1"},
      {[] { echo::byte_count("max-line", "1000000000000", 1); },  // thirteen digits
       "invalid --max-line '1000000000000': expected a number of bytes, at least 1"},
  };
  for (const auto& c : cases) {
    INFO(c.error);
    CHECK(what_of(c.read) == c.error);
  }
}

TEST_CASE("number_args: seconds with decimals", "[number_args]") {
  CHECK(echo::decimal_seconds("duration", "1.5", false) == milliseconds(1500));
  CHECK(echo::decimal_seconds("duration", "0.0004", false) == milliseconds(0));  // nearest
  CHECK(echo::decimal_seconds("duration", "0.0006", false) == milliseconds(1));
  CHECK(echo::decimal_seconds("warmup", "0", true) == milliseconds(0));
  CHECK(echo::decimal_seconds("duration", "86400", false) == milliseconds(86400000));
  CHECK(what_of([] { echo::decimal_seconds("duration", "0", false); }) ==
        "invalid --duration '0': expected seconds, above 0 to 86400");
  CHECK(what_of([] { echo::decimal_seconds("warmup", "-1", true); }) ==
        "invalid --warmup '-1': expected seconds, 0 to 86400");
  for (const char* bad : {"", "x", "1s", "nan", "inf", "86400.5"}) {
    INFO(bad);
    CHECK(what_of([&] { echo::decimal_seconds("warmup", bad, true); }) ==
          "invalid --warmup '" + std::string(bad) + "': expected seconds, 0 to 86400");
  }
  CHECK(echo::decimal_number("2.5") == 2.5);
  CHECK_FALSE(echo::decimal_number("2.5x"));
  CHECK_FALSE(echo::decimal_number("inf"));
}
