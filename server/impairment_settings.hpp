#pragma once
// What the impairment stage does, as one value: set by flags at start (server_options) and
// changed at run time through the admin endpoint's `PUT /impairment` (a JSON object of the same
// fields; partial updates allowed). Everything off is the default, and then the stage costs
// nothing (server/impairment.hpp). What each field does to TCP, TLS and UDP is in the README's
// "Impairment" section; in short:
//
//   delay, jitter   every reply leaves delay + a random 0..jitter after its request was read (TCP
//                   keeps byte order; UDP replies may reorder under jitter)
//   throttle        bytes per second per connection (UDP: per source), paced smoothly
//   loss            UDP replies dropped at random (TCP cannot lose bytes: see reset)
//   reset           TCP: a reset (RST) after reset_after echoed bytes, for reset_chance % of
//                   connections
//   slice           TCP: replies in pieces of at most slice bytes, slice_gap apart
//   stall           TCP: reading stops for stall once stall_after bytes are in, once per connection

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace echo::impairment {

// The longest of any of its durations: ten minutes.
constexpr std::chrono::milliseconds max_duration{600'000};
// The largest byte count of any field: a tebibyte.
constexpr std::uint64_t max_bytes = std::uint64_t{1} << 40;

struct settings {
  std::chrono::milliseconds delay{0};
  std::chrono::milliseconds jitter{0};
  std::uint64_t throttle = 0;  // bytes per second; 0: none
  double loss_percent = 0;
  std::uint64_t reset_after = 0;  // bytes; 0: never
  double reset_chance_percent = 100;
  std::uint64_t slice = 0;  // bytes; 0: whole replies
  std::chrono::milliseconds slice_gap{0};
  std::uint64_t stall_after = 0;       // bytes
  std::chrono::milliseconds stall{0};  // 0: never

  // Anything on: the stage takes the replies.
  bool is_active() const {
    return delay.count() != 0 || jitter.count() != 0 || throttle != 0 || loss_percent != 0 ||
           reset_after != 0 || slice != 0 || stall.count() != 0;
  }
  bool operator==(const settings& other) const;
  bool operator!=(const settings& other) const { return !(*this == other); }
};

// What the stage did: the labels of echo_impairment_events_total. delayed: a reply held for
// --delay/--jitter; throttled: a reply paced by --throttle; dropped: a UDP reply lost on purpose
// (--loss) or because the queue of held UDP replies was full; reset: a connection reset on
// purpose; sliced: a reply sent in more than one piece; stalled: a connection's reading paused.
enum class event { delayed, throttled, dropped, reset, sliced, stalled };
constexpr std::size_t event_count = 6;
constexpr const char* event_names[event_count] = {"delayed", "throttled", "dropped",
                                                  "reset",   "sliced",    "stalled"};

// A percentage is kept to a millionth of a percent, whether from a flag or JSON, so that the
// text written for it reads back as the same value (Boost.JSON 1.81 may parse a double a few
// units in the last place off: rounding to the step makes that harmless).
double quantized_percent(double p);
// The shortest decimal text of a quantized percentage: "12.5", "100", "0.000001".
std::string percent_text(double p);

// "256k" (256 KiB), "1M", "1.5M", "100000": bytes per second. k, M and G are powers of 1024, as
// for every byte count. nullopt unless all of `text` is such a rate of at most max_bytes.
std::optional<std::uint64_t> parse_rate(std::string_view text);

// The settings as one JSON object, every field, and the seed: what `GET /impairment` answers.
std::string to_json(const settings& s, std::uint64_t seed);

// A `PUT /impairment` body: a JSON object of some of to_json's fields (each in the range its flag
// takes; "throttle_bytes_per_second" also as a rate string such as "256k"), applied to `s`, and
// "seed" to `seed`. On any error neither is changed and the result is one line naming the field:
// "delay_ms: expected milliseconds from 0 to 600000". At most max_body bytes are read.
constexpr std::size_t max_body = 8 * 1024;
std::optional<std::string> apply_json(std::string_view body, settings& s, std::uint64_t& seed);

// "delay 50 ms, jitter 10 ms, throttle 262144 B/s", or "off": for log lines.
std::string describe(const settings& s);

}  // namespace echo::impairment
