#pragma once
// The client's command line: what it accepts, its --help, every usage error's wording, and which
// mode runs. Program_options stays in this file pair; the modes see only client_options.

#include "client/source_addresses.hpp"
#include "common/endpoint.hpp"
#include "common/errors.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace echo {

enum class client_mode {
  one_shot,     // -m: send each message as a line, print each reply line
  pipe,         // stdin is not a terminal: stdin to the server, the server to stdout
  interactive,  // stdin is a terminal: a prompt, lines sent, replies printed as they arrive
  self_test,    // --test: check that the server echoes, case by case
  bench,        // --bench: load the server and measure messages/s and latency
};
// With --udp (client_options::is_udp) each mode has a datagram twin: client/udp_*.

// The smallest --size a UDP bench datagram may have: its sequence number and send time.
constexpr std::size_t udp_bench_header_size = 16;

struct bench_options {
  // The most message bytes a run may hold in flight, all connections together: --size x --depth x
  // --connections (open loop and --churn: --size x --connections) above it is a usage error.
  static constexpr std::size_t max_bytes_in_flight = std::size_t{1} << 30;

  std::size_t connections = 1;
  std::size_t size = 64;  // bytes per message
  std::size_t depth = 1;  // messages in flight per connection (closed loop)
  std::chrono::milliseconds duration{10'000};
  std::chrono::milliseconds warmup{1'000};
  double rate = 0;        // total messages/s on a fixed schedule; 0: closed loop
  bool is_churn = false;  // each message on a new connection
  bool is_json = false;

  // --threads: reactors (an io_context and a thread each), each with its share of the connections
  // and of --rate; one merged report. --json-stream: a JSON object each second, then the final.
  std::size_t threads = 1;
  bool is_json_stream = false;
};

// TLS for every mode: --tls, --tls-ca, --tls-cert/--tls-key, --insecure, --tls-server-name.
struct client_tls_options {
  bool is_enabled = false;  // any of the TLS flags turns it on
  std::string ca;           // PEM; empty: the system's trust store
  std::string certificate;  // PEM, for mutual TLS (with private_key)
  std::string private_key;
  bool is_insecure = false;  // do not verify the server's certificate
  std::string server_name;   // verified and sent as SNI; empty: the host given
};

struct client_options {
  std::string host{default_host};  // as typed; resolved when connecting
  std::uint16_t port = default_port;
  client_mode mode = client_mode::pipe;
  std::vector<std::string> messages;          // -m, in order
  std::chrono::milliseconds timeout{10'000};  // connecting, and each wait for a reply
  bool is_shutdown_after_input = true;        // pipe mode: half-close after stdin's EOF
  bool is_verbose = false;
  // -u: datagrams instead of a stream (see udp_socket); --retries resends a -m message that got
  // no reply within --timeout; a bench datagram unanswered within udp_loss_deadline (--timeout
  // when given, else 1 s) counts lost.
  bool is_udp = false;
  std::size_t retries = 0;
  std::chrono::milliseconds udp_loss_deadline{1'000};
  bench_options bench;
  client_tls_options tls;

  // --source: bind every connection and UDP socket to one of these, round-robin; empty: the
  // kernel's choice (but see source_addresses::churn_default). --histogram (bench): the file for
  // the latency distribution in HdrHistogram's text format; empty: none.
  source_addresses sources;
  std::string histogram_file;
};

// stdin_is_terminal picks between the interactive and pipe modes when neither -m nor --test is
// given; main passes isatty(0).
std::variant<client_options, early_exit> parse_client_options(int argc, const char* const argv[],
                                                              bool stdin_is_terminal);

}  // namespace echo
