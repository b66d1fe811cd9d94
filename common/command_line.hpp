#pragma once
// The Program_options plumbing both programs share: options plus positional HOST PORT, --help
// and --version before anything else, and every parse error turned into one usage line. Each
// program's *_options file declares its flags and reads the values; this file does the rest. The
// server's lower layers (environment variables and a config file) are server/config_layers.

#include "common/errors.hpp"

#include <boost/program_options.hpp>

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
  // Only the server's layers (server/config_layers) fill it in.
  std::map<std::string, std::string> origins;
};

// Parses argv against `visible`, collecting positional arguments. Throws Program_options errors.
command_line parse_command_line(int argc, const char* const argv[],
                                const boost::program_options::options_description& visible);

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
