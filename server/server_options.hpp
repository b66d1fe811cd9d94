#pragma once
// The daemon's settings: what it accepts on the command line, from ECHO_SERVER_* environment
// variables and from a --config file (in that order of precedence, over the defaults), its
// --help and --print-config, and every usage error's wording. Each settable option is one entry
// of the table in server_options.cpp, and all of those are made from it. Program_options stays
// in this file pair and config_layers; the rest of the server sees only server_options.

#include "common/endpoint.hpp"
#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/reply_policy.hpp"
#include "server/impairment_settings.hpp"
#include "server/udp_admission.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace echo {

struct server_options {
  // The defaults here are the defaults everywhere: --help and --print-config show these.
  std::string host{default_host};    // as the user typed it
  boost::asio::ip::address address;  // host, parsed or resolved
  std::uint16_t port = default_port;
  reply_config reply;
  // In line modes, how long the client must stay quiet before data without a newline counts as a
  // whole message. Waiting for a pause, not just for an empty receive queue, keeps a long line
  // that arrives in several segments from being answered in pieces.
  std::chrono::milliseconds message_wait{50};
  std::size_t max_connections = 0;         // 0: derived from the descriptor limit at start
  std::size_t max_connections_per_ip = 0;  // 0: no limit per address
  std::chrono::seconds idle_timeout{300};  // 0: never
  std::chrono::seconds write_timeout{30};  // 0: never
  // Bounds a TLS handshake and the wait for a PROXY header, each. Never 0.
  std::chrono::seconds handshake_timeout{10};
  // TLS handshakes in progress at most, for the whole process (0: no limit). Each holds about
  // 85 KiB until it ends, and a client can start one with a single byte; see session.
  std::size_t max_handshakes = 1000;
  // PEM files, as given (not checked here: the server loads them at start). TLS when tls_cert is
  // set, and then tls_key is too; tls_client_ca (only with tls_cert) asks for client certificates.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  bool proxy_protocol = false;             // a PROXY v1/v2 header comes before the data
  std::chrono::seconds stats_interval{0};  // log the stats line this often (0: only on SIGUSR1)
  // The admin endpoint (Prometheus's /metrics, /healthz, /readyz, /impairment): --admin
  // HOST:PORT as given ("" = off), or --metrics's, its older name; and where it listens.
  std::string admin;
  std::string metrics;  // --metrics as given; admin holds the one in effect
  boost::asio::ip::tcp::endpoint admin_endpoint;
  bool admin_write = false;  // --admin-write: PUT and DELETE /impairment are allowed
  // On SIGTERM: report not ready and keep serving this long before draining; then in-flight
  // replies get drain_timeout before the connections are closed.
  std::chrono::seconds shutdown_delay{0};
  std::chrono::seconds drain_timeout{2};
  // --delay, --throttle, ...: see server/impairment_settings. All off by default.
  impairment::settings impairment;
  // --seed: the random choices' seed; none given: one drawn at start (and logged).
  std::optional<std::uint64_t> seed;
  // --allow and --deny: CIDR rules as given (each checked by parse_cidr), for TCP and UDP.
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool tcp = true;   // --no-tcp clears it (only with --udp)
  bool udp = false;  // --udp: UDP echo on the same address and port
  udp_settings udp_limits;
  std::size_t workers = 1;       // reactors, one thread each, sharing the port
  std::size_t worker_index = 0;  // set by run_workers: which reactor this is
  int passed_fd = -1;            // set by main: a listening socket from socket activation, else -1
  int passed_udp_fd = -1;        // set by main: a datagram socket from socket activation, else -1
  log_level verbosity = log_level::info;
  echo::log_format log_format = echo::log_format::text;  // json: one object per line
};

// The options from argv, the environment and --config; or what to print instead (--help,
// --version, --print-config, a usage error) and the exit code.
std::variant<server_options, early_exit> parse_server_options(int argc, const char* const argv[]);

class value_reader;  // a stored value and where it came from (server_options.cpp)

// One settable option: its flag, its --help line, how a value is read into server_options and
// printed back for --print-config. The environment variable and the config file key follow from
// the long name. Its default is the server_options member's initial value.
struct server_option {
  enum class kind {
    value,   // --name VALUE
    toggle,  // --name alone; "name = true" in a file or the environment
    list,    // --name VALUE, repeatable; "name = a,b" in a file or the environment
  };
  std::string name;        // "port,p": the long name, then the short letter if there is one
  std::string value_name;  // "N", "SECONDS" in --help; empty for a toggle
  std::string help;
  kind type = kind::value;
  // A valid value other than the default: what the table's unit test sets through each layer.
  std::string example;
  // Checks the stored value and sets it in the options; throws usage_error with our wording.
  // Empty for an option read by a cross-option step instead (host, port, verbose, quiet).
  std::function<void(const value_reader&, server_options&)> read;
  // The value as --print-config prints it (before quoting); read gives it back.
  std::function<std::string(const server_options&)> print;

  std::string long_name() const { return name.substr(0, name.find(',')); }
};

// Every option a config file or the environment may set, in --help and --print-config order.
const std::vector<server_option>& server_option_table();

// The --print-config text: one "name = value" line per option a config file may hold, in --help
// order, defaults included. A valid config file that gives back the same options.
std::string config_text(const server_options& options);

// The prefix of the environment variables: ECHO_SERVER_ + the long option in upper case, '-' as
// '_'.
constexpr std::string_view environment_prefix = "ECHO_SERVER_";

}  // namespace echo
