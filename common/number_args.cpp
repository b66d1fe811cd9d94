#include "common/number_args.hpp"

#include "common/errors.hpp"

#include <cmath>
#include <exception>

namespace echo {

namespace {

bool is_digits(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The value of `text`, all digits and at most `digits` of them (so it cannot overflow).
std::optional<std::size_t> digits_value(std::string_view text, std::size_t digits) {
  if (!is_digits(text) || text.size() > digits) return std::nullopt;
  std::size_t value = 0;
  for (const char c : text) value = value * 10 + static_cast<std::size_t>(c - '0');
  return value;
}

std::string quoted_flag(std::string_view flag, std::string_view text) {
  return "invalid --" + std::string(flag) + " '" + std::string(text) + "'";
}

}  // namespace

std::size_t whole_number(std::string_view flag, std::string_view text, std::size_t least,
                         std::size_t most, std::string_view unit) {
  const auto value = digits_value(text, 9);
  if (!value || *value < least || *value > most) {
    throw usage_error(quoted_flag(flag, text) + ": expected " + std::string(unit) + " from " +
                      std::to_string(least) + " to " + std::to_string(most));
  }
  return *value;
}

std::chrono::seconds whole_seconds(std::string_view flag, std::string_view text,
                                   std::size_t least) {
  return std::chrono::seconds(whole_number(flag, text, least, max_seconds, "seconds"));
}

std::chrono::milliseconds whole_milliseconds(std::string_view flag, std::string_view text,
                                             std::size_t least, std::size_t most) {
  return std::chrono::milliseconds(whole_number(flag, text, least, most, "milliseconds"));
}

std::size_t byte_count(std::string_view flag, std::string_view text, std::size_t least) {
  const auto value = digits_value(text, 12);
  if (!value || *value < least) {
    throw usage_error(quoted_flag(flag, text) + ": expected a number of bytes, at least " +
                      std::to_string(least));
  }
  return *value;
}

std::optional<double> decimal_number(std::string_view text) {
  const std::string copy(text);
  double value = 0;
  std::size_t used = 0;
  try {
    value = std::stod(copy, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != copy.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::chrono::milliseconds decimal_seconds(std::string_view flag, std::string_view text,
                                          bool may_be_zero) {
  const auto seconds = decimal_number(text);
  if (!seconds || *seconds < 0 || (!may_be_zero && *seconds == 0) ||
      *seconds > static_cast<double>(max_seconds)) {
    throw usage_error(quoted_flag(flag, text) + ": expected seconds, " +
                      (may_be_zero ? "0" : "above 0") + " to " + std::to_string(max_seconds));
  }
  return std::chrono::milliseconds(static_cast<long long>(std::llround(*seconds * 1000)));
}

}  // namespace echo
