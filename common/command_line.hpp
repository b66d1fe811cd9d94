#pragma once
// The Program_options plumbing both programs share: options plus positional HOST PORT, --help
// and --version before anything else, and every parse error turned into one usage line. Each
// program's *_options file declares its flags and reads the values; this file does the rest,
// including the server's lower layers: environment variables and a config file, each stored
// below what is already there (command line > environment > file > defaults).

#include "common/errors.hpp"

#include <boost/program_options.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace echo {

struct command_line {
  boost::program_options::variables_map values;
  std::vector<std::string> positionals;
  // Where each value that is not a default came from, as the start of an error about it: absent
  // for the command line, "environment variable ECHO_SERVER_PORT" or "config file 'echo.conf'".
  std::map<std::string, std::string> origins;
};

// Parses argv against `visible`, collecting positional arguments. Throws Program_options errors.
command_line parse_command_line(int argc, const char* const argv[],
                                const boost::program_options::options_description& visible);

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

// Runs `parse` unless argv asks for --help/-h (prints `help`) or --version, and turns a
// usage_error or a Program_options error into "PROGRAM: what (try 'PROGRAM --help')". `parse`
// may itself end early (--print-config).
template <class Options>
std::variant<Options, early_exit> run_command_line(
    std::string_view program, int argc, const char* const argv[], const std::string& help,
    const std::function<std::variant<Options, early_exit>()>& parse);

}  // namespace echo

// Template definition: short, and needed by both *_options.cpp files.
#include "common/version.hpp"

template <class Options>
std::variant<Options, echo::early_exit> echo::run_command_line(
    std::string_view program, int argc, const char* const argv[], const std::string& help,
    const std::function<std::variant<Options, early_exit>()>& parse) {
  try {
    // --help and --version win over any other problem on the line, as users expect.
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg == "--help" || arg == "-h") return early_exit{help, exit_code::ok};
      if (arg == "--version") {
        return early_exit{std::string(program) + " " + version + "\n", exit_code::ok};
      }
    }
    return parse();
  } catch (const usage_error& e) {
    return early_exit{format_usage_error(program, e.what()), exit_code::usage};
  } catch (const boost::program_options::error& e) {
    return early_exit{format_usage_error(program, e.what()), exit_code::usage};
  }
}
