#pragma once
// The numeric option values both programs take, checked one way and worded once: whole numbers
// with bounds (counts, seconds, milliseconds) and seconds with decimals. Each throws usage_error
// naming the flag and the value ("invalid --workers '0': expected a number from 1 to 256").
// Ports are parse_port_or_throw in common/endpoint, next to the host they come with.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace echo {

// Seconds at most, for every timeout and interval: a day.
constexpr std::size_t max_seconds = 86400;

// A whole number from `least` to `most`: decimal digits only (no sign, space or exponent), nine
// at most. "invalid --FLAG 'TEXT': expected UNIT from LEAST to MOST", UNIT being "a number",
// "seconds" or "milliseconds".
std::size_t whole_number(std::string_view flag, std::string_view text, std::size_t least,
                         std::size_t most, std::string_view unit = "a number");

// whole_number in seconds, from `least` to max_seconds.
std::chrono::seconds whole_seconds(std::string_view flag, std::string_view text, std::size_t least);

// whole_number in milliseconds.
std::chrono::milliseconds whole_milliseconds(std::string_view flag, std::string_view text,
                                             std::size_t least, std::size_t most);

// A whole number of at least `least`, with no upper bound but its twelve digits (a size in
// bytes). "invalid --FLAG 'TEXT': expected a number of bytes, at least LEAST".
std::size_t byte_count(std::string_view flag, std::string_view text, std::size_t least);

// `text` as a finite decimal number ("1.5", "2", "1e3"), all of it; nullopt otherwise.
std::optional<double> decimal_number(std::string_view text);

// Seconds with decimals, as milliseconds rounded to the nearest, from 0 (or above 0 unless
// `may_be_zero`) to max_seconds: "invalid --FLAG 'TEXT': expected seconds, above 0 to 86400".
std::chrono::milliseconds decimal_seconds(std::string_view flag, std::string_view text,
                                          bool may_be_zero);

}  // namespace echo
