#pragma once
// An echo-server of our own build, started on a free port for one test. The constructor starts
// `echo-server --port 0 ARGS...`, waits for its "listening on" line and reads the port from it;
// the destructor sends SIGTERM and CHECKs that the server exited with 0, unless the test already
// called stop() (to choose the signal, or to check the exit code itself).
//
// The server's stderr (its log) is read continuously, so a busy server never blocks on logging.

#include "support/deadline.hpp"
#include "support/process.hpp"

#include <csignal>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace echo::test {

// The echo-server binary under test (its path is compiled in by CMake).
std::string echo_server_path();

class running_server {
 public:
  // Starts `wrapper... echo-server --port 0 args...`; a wrapper such as {"prlimit",
  // "--nofile=16", "--"} changes how it runs. Throws std::runtime_error, with the server's
  // stderr, if no "listening on" line comes within default_timeout.
  explicit running_server(const std::vector<std::string>& args = {},
                          const std::vector<std::string>& wrapper = {});
  ~running_server();
  running_server(const running_server&) = delete;
  running_server& operator=(const running_server&) = delete;

  std::uint16_t port() const { return port_; }
  // The address from the listening line, without brackets: "127.0.0.1", "::1".
  const std::string& host() const { return host_; }

  // The log so far, and waits on it (see process).
  std::string log() const { return process_.stderr_text(); }
  bool wait_for_log(std::string_view text, deadline d = deadline::after_default());
  std::optional<std::vector<std::string>> wait_for_log(const std::regex& pattern,
                                                       deadline d = deadline::after_default());
  // Waits until `text` occurs at least `count` times in the log.
  bool wait_for_log_count(std::string_view text, std::size_t count,
                          deadline d = deadline::after_default());

  // Sends `signal_number` and waits for the exit. Returns the exit code (128 + signal when killed
  // by one); nullopt if the server did not exit by the deadline (the destructor then kills it).
  std::optional<int> stop(int signal_number = SIGTERM,
                          deadline d = deadline::in(std::chrono::seconds(5)));
  // Waits for an exit that a signal sent through proc() already set off, without sending another
  // (a second SIGINT or SIGTERM would mean "close everything now"). Returns as stop() does.
  std::optional<int> wait_exit(deadline d = deadline::in(std::chrono::seconds(5)));
  bool is_stopped() const { return is_stopped_; }

  process& proc() { return process_; }

 private:
  process process_;
  std::string host_;
  std::uint16_t port_ = 0;
  bool is_stopped_ = false;
};

// How often `text` occurs in `haystack`.
std::size_t count_occurrences(std::string_view haystack, std::string_view text);

}  // namespace echo::test
