#pragma once
// Data for integration tests: reproducible pseudo-random bytes, and comparisons that stay readable
// when the strings are megabytes long (Catch would print both operands of a failed ==).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace echo::test {

// `size` bytes, every value 0..255 likely, the same for the same seed on every run.
std::string random_bytes(std::size_t size, std::uint64_t seed);

// The offset of the first byte where a and b differ (the shorter length if one is a prefix of the
// other), or std::string::npos when they are equal.
std::size_t first_difference(std::string_view a, std::string_view b);

// A short, printable description of where `actual` departs from `expected`, for INFO().
std::string describe_difference(std::string_view expected, std::string_view actual);

// `text` with every regex special character escaped, to match it literally inside a pattern.
std::string regex_escape(std::string_view text);

// The way the server's log shows bytes: printable ASCII as is, \n \r \t \\, others as \xHH.
std::string printable(std::string_view bytes);

}  // namespace echo::test
