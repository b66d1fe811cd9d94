#pragma once
// Timestamped one-line logs on stderr. One logger is created by main and passed by reference to
// whatever logs; each line goes out in a single write(2), unbuffered, so lines from several
// reactors never interleave and a script reading stderr sees each line at once.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace echo {

enum class log_level { debug, info, warning, error };

class logger {
 public:
  explicit logger(log_level threshold = log_level::info, int fd = 2)
      : threshold_(threshold), fd_(fd) {}

  void set_threshold(log_level threshold) { threshold_ = threshold; }
  bool is_enabled(log_level level) const { return level >= threshold_; }

  // Writes "2026-11-23T15:12:01.123Z info: text" when `level` passes the threshold.
  void log(log_level level, std::string_view text) const;
  // Writes whatever the threshold: the lines scripts depend on, such as "listening on".
  void always(std::string_view text) const;

  void debug(std::string_view text) const { log(log_level::debug, text); }
  void info(std::string_view text) const { log(log_level::info, text); }
  void warning(std::string_view text) const { log(log_level::warning, text); }
  void error(std::string_view text) const { log(log_level::error, text); }

 private:
  void write_line(std::string_view tag, std::string_view text) const;

  log_level threshold_;
  int fd_;
};

// Lets through at most one line per interval, for events that can come in floods (refused
// connections, accept failures); counts what it held back so the next line can say so.
class log_throttle {
 public:
  explicit log_throttle(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  // True when a line may be written now; then held_back() is how many were skipped before it.
  bool admit();
  std::size_t held_back() const { return reported_held_back_; }

 private:
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_{};
  std::size_t held_back_ = 0;
  std::size_t reported_held_back_ = 0;
};

// " (N more since the last warning)" when N > 0, else "": the tail of a throttled line.
std::string held_back_note(std::size_t held_back);

// Makes bytes from the network safe for a terminal: printable ASCII and valid UTF-8 text as they
// are; \n \r \t \\ as C escapes; every other byte (controls, NUL, invalid UTF-8) as \xHH.
std::string escape_for_log(std::string_view bytes);

// At most max_bytes of `bytes`, followed by "... (N more bytes)" when something was cut.
std::string shorten(std::string_view bytes, std::size_t max_bytes);

}  // namespace echo
