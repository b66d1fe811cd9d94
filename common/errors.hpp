#pragma once
// Error wording and exit codes shared by both programs: every error a user sees is worded here,
// once. Plain functions over boost::system::error_code.

#include <boost/system/error_code.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace echo {

// Exit codes, documented in the README. Usage errors are distinct from runtime failures.
enum class exit_code : int {
  ok = 0,
  failure = 1,  // a runtime failure: cannot listen, out of resources, unexpected error
  usage = 2,    // a bad flag, value or argument: nothing was attempted
};

constexpr int to_int(exit_code code) { return static_cast<int>(code); }

// Thrown by option parsers for bad input; main prints what() as one line and exits with usage.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "echo-server: invalid port 'x': ... (try 'echo-server --help')\n": one line whatever `what`
// holds, because control bytes in it are escaped.
std::string format_usage_error(std::string_view program, std::string_view what);

// True for the ways a connection normally ends: EOF, reset, broken pipe, and the cancellation
// our own close() causes. These are logged at debug level; anything else is a warning.
bool is_normal_ending(const boost::system::error_code& ec);

// A short reason for a connection's end, for the "closed" log line: "eof", "reset by peer", ...
std::string describe_ending(const boost::system::error_code& ec);

// The one-line wording for a failure to open, bind or listen on `endpoint` ("127.0.0.1:8888"),
// such as "address 127.0.0.1:8888 already in use".
std::string describe_listen_error(const boost::system::error_code& ec, std::string_view endpoint);

// ec.message() in lower case, the way our lines read ("connection refused").
std::string lower_message(const boost::system::error_code& ec);

}  // namespace echo
