#pragma once
// One child process started with fork + exec, reaped exactly once. Owned by a process or a
// pty_process, which pass a setup function that runs in the child between fork and exec to wire up
// its standard streams. That function may call only async-signal-safe functions (dup2, close,
// setsid, ioctl, open): the test binary may have other threads running when it forks.
//
// The destructor sends SIGTERM, then SIGKILL if the child is still there after a grace period,
// and reaps it, so no test leaves a process behind, whatever way it fails.

#include "support/deadline.hpp"

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace echo::test {

// How long a child gets to exit after SIGTERM before it is killed.
constexpr std::chrono::seconds terminate_grace{5};

// The path exec would run for `program`: itself when it contains a '/', otherwise the first
// executable match on $PATH. nullopt when there is none.
std::optional<std::string> find_program(const std::string& program);

class child {
 public:
  // Forks, runs setup_in_child in the child, then execs argv[0] (looked up on $PATH) with argv.
  // Throws std::runtime_error naming the program when it cannot be found or exec fails.
  child(const std::vector<std::string>& argv, const std::function<void()>& setup_in_child);
  ~child();
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  pid_t pid() const { return pid_; }
  bool has_exited() const { return status_.has_value(); }

  // Sends `signal_number` unless the child has already been reaped.
  void signal(int signal_number);

  // Waits for the child to exit. Returns its exit code, or 128 + the signal number when a signal
  // killed it (as a shell reports it); nullopt if it is still running at the deadline.
  std::optional<int> wait_exit(deadline d);

  // SIGTERM, then SIGKILL once `grace` has passed; reaps. Returns the status as wait_exit does.
  int terminate(std::chrono::milliseconds grace = terminate_grace);

 private:
  bool try_reap();

  pid_t pid_ = -1;
  int pidfd_ = -1;  // readable once the child exits; -1 where the kernel has no pidfd_open
  std::optional<int> status_;
};

}  // namespace echo::test
