#pragma once
// The server's settings below its command line: ECHO_SERVER_* environment variables and a
// --config file, each stored under what is already there (command line > environment > file >
// defaults), and each value's origin noted so that an error about it can say where it came from.
// Plain functions over Program_options; server_options calls them once at start.

#include "common/command_line.hpp"

#include <boost/program_options.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace echo {

// "ECHO_SERVER_" and "max-line" -> "ECHO_SERVER_MAX_LINE".
std::string environment_name(std::string_view prefix, std::string_view option);

// Adds every environment variable named `prefix` + an option of `settable` (see
// environment_name) to line.values, below the values already there. Throws usage_error for a
// variable with the prefix that names no option of `settable` (a typo must not pass unnoticed;
// `command_only` options get their own wording) or holds a bad value.
void store_environment(command_line& line,
                       const boost::program_options::options_description& settable,
                       std::string_view prefix,
                       const boost::program_options::options_description& command_only);

// The largest config file read, in bytes: real ones hold a few hundred, and the cap keeps a
// mistaken or hostile path from filling memory before any line is checked.
constexpr std::size_t max_config_file_bytes = 1024 * 1024;

// Adds the options in the INI file at `path` ("port = 8888"; keys are long option names) to
// line.values, below the values already there. A value may be written in double quotes with the
// escapes of quote_config_value. Throws usage_error naming the file when it cannot be read, is
// not a regular file (a directory, a device, a FIFO: never waited on) or is larger than
// max_config_file_bytes, or for an unknown key, a `command_only` option, a repeated key or a bad
// line.
void store_config_file(command_line& line,
                       const boost::program_options::options_description& settable,
                       const std::string& path,
                       const boost::program_options::options_description& command_only);

}  // namespace echo
