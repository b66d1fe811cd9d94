#pragma once
// A program run on a pseudo-terminal, as a person would run it: for interactive clients such as
// telnet that behave differently, or not at all, without a terminal. The child gets a new session
// with the pty as its controlling terminal and as stdin, stdout and stderr; the test types
// keystrokes with write() and reads the screen output with read_until(). Single-threaded: output
// is read only inside read_until, which is fine for programs that print a few lines.
//
// Destruction: SIGTERM, SIGKILL after terminate_grace, reap, close the pty.

#include "support/child.hpp"
#include "support/deadline.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace echo::test {

class pty_process {
 public:
  // Throws std::runtime_error if the pty cannot be set up or the program cannot run.
  explicit pty_process(const std::vector<std::string>& argv);
  ~pty_process();
  pty_process(const pty_process&) = delete;
  pty_process& operator=(const pty_process&) = delete;

  // Types `keys` (use "\r" for Enter, "\x1d" for Ctrl+]). False at the deadline or on error.
  bool write(std::string_view keys, deadline d = deadline::after_default());

  // Reads output until the part not yet consumed contains `text`; consumes up to the end of it.
  // False at the deadline or once the program closed the terminal without printing it.
  bool read_until(std::string_view text, deadline d = deadline::after_default());

  // Everything the program printed so far (for failure messages).
  const std::string& transcript() const { return transcript_; }

  std::optional<int> wait_exit(deadline d) { return child_->wait_exit(d); }

 private:
  // Reads what is available within the deadline; false once the terminal is closed.
  bool read_some(deadline d);

  int master_fd_ = -1;
  std::optional<child> child_;
  std::string transcript_;
  std::size_t consumed_ = 0;
  bool is_closed_ = false;
};

}  // namespace echo::test
