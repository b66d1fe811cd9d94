#include "common/log.hpp"

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

// The length of the valid UTF-8 sequence starting at s[i] that encodes U+00A0 or above (C1
// controls stay escaped), or 0 when there is none.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  std::size_t length;
  char32_t code;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07u;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) return 0;
    code = (code << 6) | (byte(i + k) & 0x3Fu);
  }
  const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  if (overlong || surrogate || code > 0x10FFFF || code < 0xA0) return 0;
  return length;
}

}  // namespace

void logger::log(log_level level, std::string_view text) const {
  if (is_enabled(level)) write_line(tag_of(level), text);
}

void logger::always(std::string_view text) const { write_line("info", text); }

void logger::write_line(std::string_view tag, std::string_view text) const {
  const auto now = std::chrono::system_clock::now();
  const auto since_epoch = now.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char stamp[40];
  const int n = std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ",
                              utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                              utc.tm_min, utc.tm_sec, static_cast<int>(millis.count()));

  std::string line;
  line.reserve(static_cast<std::size_t>(n) + tag.size() + text.size() + 3);
  line.append(stamp, static_cast<std::size_t>(n));
  line += tag;
  line += ": ";
  line += text;
  line += '\n';

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

std::string escape_for_log(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (const std::size_t length = utf8_sequence_length(bytes, i); length != 0) {
      out.append(bytes.substr(i, length));
      i += length;
      continue;
    }
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 0x0F];
    }
    ++i;
  }
  return out;
}

std::string shorten(std::string_view bytes, std::size_t max_bytes) {
  if (bytes.size() <= max_bytes) return std::string(bytes);
  std::string out(bytes.substr(0, max_bytes));
  out += "... (" + std::to_string(bytes.size() - max_bytes) + " more bytes)";
  return out;
}

}  // namespace echo
