#pragma once
// A program run by a test, with pipes to the standard streams the test chose (the others are
// /dev/null). A background thread keeps reading stdout and stderr into buffers, so a chatty child
// (a server logging every connection) never blocks on a full pipe while the test is busy
// elsewhere; the test waits on those buffers with deadlines. stdin is written from the test's own
// thread through a non-blocking pipe, also with a deadline.
//
// Destruction sends SIGTERM, then SIGKILL after terminate_grace, reaps the child and joins the
// reader thread. Use from one test thread; only the reader thread runs concurrently.

#include "support/child.hpp"
#include "support/deadline.hpp"

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace echo::test {

struct stdio_pipes {
  bool in = false;
  bool out = false;
  bool err = true;
  // When `in` is false: a file to open as stdin instead of /dev/null (a regular file, say, to see
  // how a program copes with stdin that is neither a pipe nor a terminal).
  std::string in_file = {};
  // When `out` is false: a file to create (or truncate) as stdout instead of /dev/null.
  std::string out_file = {};
};

class process {
 public:
  // Starts argv (argv[0] is looked up on $PATH). Throws std::runtime_error if it cannot run.
  explicit process(const std::vector<std::string>& argv, stdio_pipes pipes = {});
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return child_->pid(); }

  // Writes all of `bytes` to stdin. False at the deadline or when the child closed its stdin.
  bool write_stdin(std::string_view bytes, deadline d);
  // Closes our end of stdin, so the child reads EOF.
  void close_stdin();

  // Waits until stderr contains `text`. False at the deadline, or once stderr is closed without it.
  bool read_stderr_until(std::string_view text, deadline d);
  // Waits until `pattern` matches somewhere in stderr and returns the match and its groups
  // ([0] is the whole match). nullopt at the deadline, or once stderr is closed without a match.
  std::optional<std::vector<std::string>> read_stderr_until(const std::regex& pattern, deadline d);
  // Waits until `condition(stderr so far)` holds; false at the deadline or once stderr is closed.
  bool wait_for_stderr(const std::function<bool(const std::string&)>& condition, deadline d);
  // Waits until stdout contains `text`. False at the deadline, or once stdout is closed without it.
  bool read_stdout_until(std::string_view text, deadline d);
  // Waits until the child closes its stdout (usually: it exited). False at the deadline.
  bool read_stdout_until_eof(deadline d);
  bool read_stderr_until_eof(deadline d);

  // Everything read so far.
  std::string stdout_text() const;
  std::string stderr_text() const;

  void signal(int signal_number) { child_->signal(signal_number); }
  // The exit code, or 128 + signal; nullopt if still running at the deadline. See child.
  std::optional<int> wait_exit(deadline d) { return child_->wait_exit(d); }

 private:
  struct stream {
    int fd = -1;
    std::string text;
    bool is_closed = true;
  };

  void read_loop();
  bool drain(stream& s);
  template <class Condition>
  bool wait_for(Condition condition, deadline d);

  int stdin_fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // written by the destructor to stop the reader thread
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  stream out_;
  stream err_;
  std::optional<child> child_;
  std::thread reader_;
};

// What a program printed and how it ended.
struct run_result {
  std::optional<int> exit_code;  // nullopt: it did not finish in time (it was then killed)
  std::string out;
  std::string err;
};

// Runs argv to completion: writes `input` to its stdin, closes it, and collects stdout and stderr
// until the program exits.
run_result run_to_exit(const std::vector<std::string>& argv, std::string_view input = {},
                       deadline d = deadline::after_default());

}  // namespace echo::test

namespace echo::test {

// The CPU time (user + system) a process has used so far, in clock ticks (usually 1/100 s), from
// /proc/PID/stat; 0 when it cannot be read.
std::uint64_t cpu_ticks(pid_t pid);

// The resident set size of a process in bytes, from /proc/PID/status (VmRSS); 0 when unknown.
std::uint64_t resident_bytes(pid_t pid);

}  // namespace echo::test
