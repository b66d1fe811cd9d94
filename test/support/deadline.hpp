#pragma once
// Deadlines for tests: every wait in the integration suite names the moment it gives up, so a hung
// server fails one test quickly instead of hanging the whole suite. Header-only value type.

#include <algorithm>
#include <chrono>
#include <climits>

namespace echo::test {

using clock = std::chrono::steady_clock;

// Generous enough for a loaded 2-core CI machine under the sanitizers, short enough that a hang is
// reported well before ctest's TIMEOUT.
constexpr std::chrono::seconds default_timeout{10};

class deadline {
 public:
  explicit deadline(clock::time_point at) : at_(at) {}
  static deadline in(clock::duration d) { return deadline(clock::now() + d); }
  static deadline after_default() { return in(default_timeout); }

  clock::time_point at() const { return at_; }
  bool is_expired() const { return clock::now() >= at_; }
  clock::duration remaining() const {
    return std::max(at_ - clock::now(), clock::duration::zero());
  }

  // The remaining time as a poll(2) timeout: milliseconds rounded up (so a wait never ends just
  // before the deadline and spins), 0 once expired.
  int poll_timeout_ms() const {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(remaining()).count();
    return static_cast<int>(std::min<long long>(left, INT_MAX));
  }

  // The earlier of the two, for a step that must also respect an outer deadline.
  deadline or_earlier(deadline other) const { return deadline(std::min(at_, other.at_)); }

 private:
  clock::time_point at_;
};

}  // namespace echo::test
