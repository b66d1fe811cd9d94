#pragma once
// Timestamped one-line logs on stderr, as text or as one JSON object per line (--log-format). One
// logger is created by main and passed by reference to whatever logs; each line goes out in a
// single write(2), unbuffered, so lines from several reactors never interleave and a script
// reading stderr sees each line at once.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace echo {

enum class log_level { debug, info, warning, error };

enum class log_format { text, json };

// "text" or "json", and back; nullopt for anything else.
std::string_view to_string(log_format format);
std::optional<log_format> parse_log_format(std::string_view text);

// One field of a structured event: a name and a string, a whole number or a bool. It only refers
// to the name and the text, so build the fields in the call that logs them (temporaries live
// until the call returns). Other types (a stats counter, say) do not convert by accident: pass
// .load() or a std::uint64_t.
class log_field {
 public:
  enum class kind { text, unsigned_number, signed_number, boolean };

  log_field(std::string_view name, std::string_view text)
      : name_(name), kind_(kind::text), text_(text) {}
  log_field(std::string_view name, const char* text) : log_field(name, std::string_view(text)) {}
  log_field(std::string_view name, const std::string& text)
      : log_field(name, std::string_view(text)) {}
  template <
      class Integer,
      std::enable_if_t<std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>, int> = 0>
  log_field(std::string_view name, Integer n) : name_(name) {
    if constexpr (std::is_signed_v<Integer>) {
      kind_ = kind::signed_number;
      signed_ = n;
    } else {
      kind_ = kind::unsigned_number;
      unsigned_ = n;
    }
  }
  // A template so that only a real bool chooses it (a pointer or a counter would convert).
  template <class Bool, std::enable_if_t<std::is_same_v<Bool, bool>, int> = 0>
  log_field(std::string_view name, Bool b) : name_(name), kind_(kind::boolean), boolean_(b) {}

  std::string_view name() const { return name_; }
  // Appends `"name":value` (JSON, escaped) to `out`.
  void append_json(std::string& out) const;

 private:
  std::string_view name_;
  kind kind_ = kind::text;
  std::string_view text_;
  std::uint64_t unsigned_ = 0;
  std::int64_t signed_ = 0;
  bool boolean_ = false;
};

class logger {
 public:
  explicit logger(log_level threshold = log_level::info, int fd = 2,
                  log_format format = log_format::text)
      : threshold_(threshold), fd_(fd), format_(format) {}

  void set_threshold(log_level threshold) { threshold_ = threshold; }
  bool is_enabled(log_level level) const { return level >= threshold_; }
  log_format format() const { return format_; }

  // Writes "2026-11-23T15:12:01.123Z info: text" when `level` passes the threshold. In JSON, an
  // event named after the level ("warning", "error"...) with the text as its message.
  void log(log_level level, std::string_view text) const;
  // Writes whatever the threshold: the lines scripts depend on, such as "listening on".
  void always(std::string_view text) const;

  // A structured event. Text: exactly log(level, text). JSON: {"ts":...,"level":...,"event":
  // name, the fields in order, "message": text}.
  void event(log_level level, std::string_view name, std::initializer_list<log_field> fields,
             std::string_view text) const {
    if (is_enabled(level)) write_event(level, name, fields.begin(), fields.size(), text);
  }
  void event(log_level level, std::string_view name, const std::vector<log_field>& fields,
             std::string_view text) const {
    if (is_enabled(level)) write_event(level, name, fields.data(), fields.size(), text);
  }
  // An event written whatever the threshold, tagged info, as always().
  void always_event(std::string_view name, std::initializer_list<log_field> fields,
                    std::string_view text) const {
    write_event(log_level::info, name, fields.begin(), fields.size(), text);
  }
  void always_event(std::string_view name, const std::vector<log_field>& fields,
                    std::string_view text) const {
    write_event(log_level::info, name, fields.data(), fields.size(), text);
  }

  void debug(std::string_view text) const { log(log_level::debug, text); }
  void info(std::string_view text) const { log(log_level::info, text); }
  void warning(std::string_view text) const { log(log_level::warning, text); }
  void error(std::string_view text) const { log(log_level::error, text); }

 private:
  void write_event(log_level level, std::string_view name, const log_field* fields,
                   std::size_t count, std::string_view text) const;
  void write_line(std::string_view line) const;

  log_level threshold_;
  int fd_;
  log_format format_;
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

// "2026-11-23T15:12:01.123Z": RFC 3339, UTC, milliseconds.
std::string format_timestamp(std::chrono::system_clock::time_point t);

// At most max_bytes of `bytes`, followed by "... (N more bytes)" when something was cut.
std::string shorten(std::string_view bytes, std::size_t max_bytes);

}  // namespace echo
