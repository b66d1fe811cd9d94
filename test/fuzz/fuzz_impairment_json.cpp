// libFuzzer target for impairment::apply_json, the body of `PUT /impairment`. The input is the
// body, applied twice: onto the defaults and onto settings with every field set. On success, every
// field is in its range, to_json of the result read back onto the defaults gives the same settings
// and seed (and the same text again), and applying the body once more changes nothing. On failure,
// neither the settings nor the seed moved and the message is one printable line.

#include "server/impairment_settings.hpp"

#include "fuzz_support.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using echo::fuzz::require;
using echo::impairment::settings;
using std::chrono::milliseconds;

settings busy() {
  settings s;
  s.delay = milliseconds(50);
  s.jitter = milliseconds(7);
  s.throttle = 262144;
  s.loss_percent = 2.5;
  s.reset_after = 1000;
  s.reset_chance_percent = 50;
  s.slice = 10;
  s.slice_gap = milliseconds(5);
  s.stall_after = 100000;
  s.stall = milliseconds(1000);
  return s;
}

bool in_range(milliseconds d) { return d.count() >= 0 && d <= echo::impairment::max_duration; }

bool in_range(const settings& s) {
  const auto bytes = [](std::uint64_t n) { return n <= echo::impairment::max_bytes; };
  const auto percent = [](double p) { return p >= 0 && p <= 100; };
  return in_range(s.delay) && in_range(s.jitter) && in_range(s.slice_gap) && in_range(s.stall) &&
         bytes(s.throttle) && bytes(s.reset_after) && bytes(s.slice) && bytes(s.stall_after) &&
         percent(s.loss_percent) && percent(s.reset_chance_percent);
}

bool is_one_line(const std::string& message) {
  if (message.empty()) return false;
  for (const char c : message) {
    if (static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

void check(std::string_view body, const settings& start, std::uint64_t start_seed) {
  settings s = start;
  std::uint64_t seed = start_seed;
  const std::optional<std::string> error = echo::impairment::apply_json(body, s, seed);
  if (error) {
    require(is_one_line(*error));
    require(s == start && seed == start_seed);
    return;
  }
  require(in_range(s));
  require(body.size() <= echo::impairment::max_body);

  const std::string text = echo::impairment::to_json(s, seed);
  settings back;
  std::uint64_t back_seed = 0;
  require(!echo::impairment::apply_json(text, back, back_seed));
  require(back == s && back_seed == seed);
  require(echo::impairment::to_json(back, back_seed) == text);

  settings again = s;
  std::uint64_t again_seed = seed;
  require(!echo::impairment::apply_json(body, again, again_seed));
  require(again == s && again_seed == seed);
  require(is_one_line(echo::impairment::describe(s)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  check(body, settings{}, 0);
  check(body, busy(), 18446744073709551615u);
  return 0;
}
