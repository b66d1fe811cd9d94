#pragma once
// The impairment stage, between the reply policy and the transport: where a reply is held,
// paced, sliced, dropped or turned into a reset on purpose (server/impairment_settings says
// what each setting does). This file is how the settings reach the reactors:
//
//   control        one per process: the current settings and seed, changed by flags at start and
//                  by the admin endpoint at run time (any thread); each change is posted to every
//                  reactor, so a reactor never takes a lock.
//   reactor_state  one per reactor: its copy of the settings, whether any is on (the one branch
//                  the data path pays when all are off), a generation that moves at each change,
//                  and the random numbers (seeded from the seed and the reactor's index, so the
//                  same seed replays the same choices on a reactor that sees the same traffic).
//
// The TCP side of the stage is server/impaired_stream, the UDP side server/udp_impairment.

#include "server/impairment_settings.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

namespace echo::impairment {

class reactor_state {
 public:
  reactor_state(const settings& initial, std::uint64_t seed, std::size_t reactor_index)
      : index_(reactor_index) {
    set(initial, seed);
  }

  bool is_active() const { return is_active_; }
  const settings& current() const { return settings_; }
  // Moves at every change, so that a connection can tell its per-connection choices are stale.
  std::uint64_t generation() const { return generation_; }

  void set(const settings& s, std::uint64_t seed) {
    if (seed != seed_ || generation_ == 0) random_.seed(seed ^ (index_ * 0x9e3779b97f4a7c15ULL));
    seed_ = seed;
    settings_ = s;
    is_active_ = s.is_active();
    ++generation_;
  }

  // True with `percent` % probability.
  bool chance(double percent) {
    if (percent <= 0) return false;
    if (percent >= 100) return true;
    return std::uniform_real_distribution<double>(0, 100)(random_) < percent;
  }
  // delay + a uniform 0..jitter.
  std::chrono::milliseconds delay() {
    if (settings_.jitter.count() == 0) return settings_.delay;
    return settings_.delay + std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(
                                 0, settings_.jitter.count())(random_));
  }

 private:
  settings settings_;
  std::uint64_t seed_ = 0;
  std::size_t index_;
  std::uint64_t generation_ = 0;
  bool is_active_ = false;
  std::mt19937_64 random_;
};

class control {
 public:
  control(const settings& initial, std::uint64_t seed) : settings_(initial), seed_(seed) {}

  // A reactor to keep up to date: every later change is posted to its io_context. Call before
  // the reactors run.
  void attach(boost::asio::io_context& context, reactor_state& state) {
    const std::lock_guard<std::mutex> lock(mutex_);
    reactors_.push_back({&context, &state});
  }

  settings current() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return settings_;
  }
  std::uint64_t seed() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return seed_;
  }

  // Every reactor has it once it has run the posted handler: at once unless it is busy.
  void set(const settings& s, std::uint64_t seed) {
    const std::lock_guard<std::mutex> lock(mutex_);
    settings_ = s;
    seed_ = seed;
    for (const auto& [context, state] : reactors_) {
      boost::asio::post(*context, [state = state, s, seed] { state->set(s, seed); });
    }
  }

 private:
  mutable std::mutex mutex_;
  settings settings_;
  std::uint64_t seed_;
  std::vector<std::pair<boost::asio::io_context*, reactor_state*>> reactors_;
};

}  // namespace echo::impairment
