#include "common/log.hpp"

#include "common/escape.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace echo {

namespace {

std::string_view tag_of(log_level level) {
  switch (level) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warning:
      return "warning";
    case log_level::error:
      return "error";
  }
  return "info";
}

}  // namespace

std::string_view to_string(log_format format) {
  return format == log_format::json ? "json" : "text";
}

std::optional<log_format> parse_log_format(std::string_view text) {
  if (text == "text") return log_format::text;
  if (text == "json") return log_format::json;
  return std::nullopt;
}

void log_field::append_json(std::string& out) const {
  append_json_string(out, name_);
  out += ':';
  switch (kind_) {
    case kind::text:
      append_json_string(out, text_);
      return;
    case kind::unsigned_number:
      out += std::to_string(unsigned_);
      return;
    case kind::signed_number:
      out += std::to_string(signed_);
      return;
    case kind::boolean:
      out += boolean_ ? "true" : "false";
      return;
  }
}

void logger::log(log_level level, std::string_view text) const {
  if (is_enabled(level)) write_event(level, tag_of(level), nullptr, 0, text);
}

void logger::always(std::string_view text) const {
  write_event(log_level::info, "info", nullptr, 0, text);
}

void logger::write_event(log_level level, std::string_view name, const log_field* fields,
                         std::size_t count, std::string_view text) const {
  const std::string stamp = format_timestamp(std::chrono::system_clock::now());
  const std::string_view tag = tag_of(level);
  std::string line;
  if (format_ == log_format::text) {
    line.reserve(stamp.size() + tag.size() + text.size() + 4);
    line += stamp;
    line += ' ';
    line += tag;
    line += ": ";
    line += text;
  } else {
    line.reserve(64 + name.size() + 2 * text.size() + 32 * count);
    line += "{\"ts\":\"";
    line += stamp;
    line += "\",\"level\":\"";
    line += tag;
    line += "\",\"event\":";
    append_json_string(line, name);
    for (std::size_t i = 0; i < count; ++i) {
      line += ',';
      fields[i].append_json(line);
    }
    line += ",\"message\":";
    append_json_string(line, text);
    line += '}';
  }
  line += '\n';
  write_line(line);
}

void logger::write_line(std::string_view line) const {
  // One write per line; retry only what a signal or a full pipe cut short.
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t written = ::write(fd_, rest.data(), rest.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return;  // stderr is gone: nowhere left to report it
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  const auto since_epoch = t.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  const std::time_t whole = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char stamp[40];
  const int n = std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                              utc.tm_min, utc.tm_sec, static_cast<int>(millis.count()));
  return std::string(stamp, static_cast<std::size_t>(n));
}

bool log_throttle::admit() {
  const auto now = std::chrono::steady_clock::now();
  if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < interval_) {
    ++held_back_;
    return false;
  }
  last_ = now;
  reported_held_back_ = held_back_;
  held_back_ = 0;
  return true;
}

std::string held_back_note(std::size_t held_back) {
  if (held_back == 0) return {};
  return " (" + std::to_string(held_back) + " more since the last warning)";
}

std::string shorten(std::string_view bytes, std::size_t max_bytes) {
  if (bytes.size() <= max_bytes) return std::string(bytes);
  std::string out(bytes.substr(0, max_bytes));
  out += "... (" + std::to_string(bytes.size() - max_bytes) + " more bytes)";
  return out;
}

}  // namespace echo
