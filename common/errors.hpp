#pragma once
// Error wording and exit codes shared by both programs: every error a user sees is worded here,
// once. Plain functions over boost::system::error_code.

#include <boost/system/error_code.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace echo {

// Exit codes, documented in docs/server.md (Exit codes and errors). Usage errors are distinct
// from runtime failures.
enum class exit_code : int {
  ok = 0,
  failure = 1,             // cannot listen; a --test case failed; the server hung up early
  usage = 2,               // a bad flag, value or argument: nothing was attempted
  connection_refused = 3,  // client: nothing listens there
  host_not_found = 4,      // client: the host name does not resolve
  timed_out = 5,           // client: connecting or a reply took longer than --timeout
  connection_reset = 6,    // client: the server reset the connection mid-transfer
  tls_failed = 7,          // client: the TLS handshake failed, or the server's TLS alert ended it
};

constexpr int to_int(exit_code code) { return static_cast<int>(code); }

// What a program does instead of running: print `text` (to stdout when code is ok, as for --help
// and --version; to stderr otherwise) and exit with `code`.
struct early_exit {
  std::string text;
  exit_code code;
};

// Why a client gives up: its one line (without the program name) and its exit code.
struct failure {
  exit_code code;
  std::string message;
};

// Failures of the client's steps, worded once. `where` is "127.0.0.1:8888".
failure resolve_failure(const boost::system::error_code& ec, std::string_view host);
failure connect_failure(const boost::system::error_code& ec, std::string_view where);
// A TLS error (ssl category) becomes a tls_failure with describe_tls_error's reason.
failure transfer_failure(const boost::system::error_code& ec, std::string_view where);
// "TLS handshake with 127.0.0.1:8443 failed: certificate verify failed (hostname mismatch)";
// `reason` is OpenSSL's, from describe_tls_error.
failure tls_failure(std::string_view where, std::string_view reason);
// "timed out after 2s connecting to 127.0.0.1:8888" (what = "connecting to")
failure timeout_failure(std::string_view what, std::string_view where,
                        std::chrono::milliseconds timeout);

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
