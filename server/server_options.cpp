#include "server/server_options.hpp"

#include "common/command_line.hpp"
#include "common/endpoint.hpp"
#include "common/escape.hpp"

#include <boost/program_options.hpp>

#include <optional>
#include <sstream>

namespace echo {

namespace po = boost::program_options;

namespace {

constexpr const char* usage_line = "Usage: echo-server [options] [HOST [PORT]]";

constexpr const char* help_footer = R"(
Reply modes (a message is a line ending in \n or \r\n; data without a newline is
one message once the client pauses for --message-wait or closes its side):
  echo     every byte back as it came (default)
  prefix   each line back behind --prefix:     hello -> Echo: hello
  ack      --ack for each line:                hello -> ACK!
  --once   closes the connection after the first reply, in any mode

Examples:
  echo-server                                  echo on 127.0.0.1:8888
  echo-server 0.0.0.0 9999                     all interfaces, port 9999
  echo-server --port 0                         any free port (see the log line)
  echo-server --reply prefix -v                "Echo: " replies, log each message
  echo-server --reply ack --once               "ACK!", then close
  echo-server --config /etc/echo-server.conf   settings from a file

Configuration: every option above but --config, --print-config, --help and
--version may also be set in the --config file ("max-line = 1024") or in an
environment variable (ECHO_SERVER_MAX_LINE=1024); the command line wins over
the environment, which wins over the file. --print-config shows the result.

Signals: SIGINT or SIGTERM shuts down gracefully (a second one at once);
SIGUSR1 logs a stats line (connections, bytes, refused, timed out).

Exit codes: 0 after a clean shutdown (Ctrl+C, SIGTERM), 1 when it cannot run
(address in use, permission denied), 2 for a bad flag or value.
)";

std::string help_text(const po::options_description& visible) {
  std::ostringstream out;
  out << usage_line << "\n\nA single-threaded TCP echo server on Boost.Asio.\n\n";
  // Two spaces at least between an option and its description, so that help2man tells them apart
  // on the longest option too (the man page is made from this text).
  visible.print(out, visible.get_option_column_width() + 1);
  out << help_footer;
  return out.str();
}

// A whole number from `least` to `most`, for counts, seconds and milliseconds.
std::size_t number_from(const std::string& flag, const std::string& text, std::size_t least,
                        std::size_t most, const char* unit) {
  if (!is_all_digits(text) || text.size() > 9 || std::stoull(text) > most ||
      std::stoull(text) < least) {
    throw usage_error("invalid --" + flag + " '" + text + "': expected " + unit + " from " +
                      std::to_string(least) + " to " + std::to_string(most));
  }
  return static_cast<std::size_t>(std::stoull(text));
}

std::size_t count_from(const std::string& flag, const std::string& text, std::size_t most,
                       const char* unit) {
  return number_from(flag, text, 0, most, unit);
}

std::size_t max_line_from(const std::string& text) {
  if (!is_all_digits(text) || text.size() > 12 || std::stoull(text) == 0) {
    throw usage_error("invalid --max-line '" + text + "': expected a number of bytes, at least 1");
  }
  return static_cast<std::size_t>(std::stoull(text));
}

// --prefix and --ack: every message's reply holds one, so a line of one byte must not be able to
// cost a megabyte of reply.
std::string reply_text_from(const std::string& flag, const std::string& text) {
  if (text.size() > max_reply_text) {
    throw usage_error("invalid --" + flag + ": expected at most " + std::to_string(max_reply_text) +
                      " bytes, got " + std::to_string(text.size()));
  }
  return text;
}

// The three sets of options: what a config file and the environment may set as well as the
// command line (in --print-config order), what only the command line takes, and both for --help.
struct option_set {
  po::options_description settable{"", 100, 50};
  po::options_description command_only{"", 100, 50};
  po::options_description visible{"Options", 100, 50};
};

// Reads the stored values, and says where a bad one came from: an error about a value from the
// environment or a config file starts with the variable's or the file's name.
class value_reader {
 public:
  explicit value_reader(const command_line& line) : line_(line) {}

  std::string text(const std::string& name) const { return line_.values[name].as<std::string>(); }
  bool is_on(const std::string& name) const { return line_.values[name].as<bool>(); }

  // "config file 'echo.conf': " or "environment variable ECHO_SERVER_PORT: ", or "" for the
  // command line and the defaults.
  std::string where(const std::string& name) const {
    const auto it = line_.origins.find(name);
    return it == line_.origins.end() ? std::string() : it->second + ": ";
  }
  // 0 for the command line (and defaults), 1 for the environment, 2 for a config file.
  int layer(const std::string& name) const {
    const std::string origin = where(name);
    if (origin.empty()) return 0;
    return origin.rfind("environment", 0) == 0 ? 1 : 2;
  }

  // Runs `read`, adding where(name) to the front of a usage_error it throws.
  template <class Read>
  auto checked(const std::string& name, Read read) const {
    try {
      return read();
    } catch (const usage_error& e) {
      throw usage_error(where(name) + e.what());
    }
  }

 private:
  const command_line& line_;
};

std::chrono::seconds seconds_from(const value_reader& in, const std::string& name,
                                  std::size_t least) {
  constexpr std::size_t a_day = 86400;
  return std::chrono::seconds(
      in.checked(name, [&] { return number_from(name, in.text(name), least, a_day, "seconds"); }));
}

std::size_t count_of(const value_reader& in, const std::string& name) {
  constexpr std::size_t a_lot = 10'000'000;
  return in.checked(name, [&] { return count_from(name, in.text(name), a_lot, "a number"); });
}

void read_tls(const value_reader& in, server_options& options) {
  options.tls_cert = in.text("tls-cert");
  options.tls_key = in.text("tls-key");
  options.tls_client_ca = in.text("tls-client-ca");
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    const char* given = options.tls_cert.empty() ? "tls-key" : "tls-cert";
    throw usage_error(in.where(given) + "--tls-cert and --tls-key go together");
  }
  if (!options.tls_client_ca.empty() && options.tls_cert.empty()) {
    throw usage_error(in.where("tls-client-ca") + "--tls-client-ca requires --tls-cert");
  }
}

// --udp and --no-tcp, and the options that mean nothing without the protocol they are about: a
// usage error rather than silently ignored. Compared with the defaults rather than asked whether
// they were given, so that --print-config's output (every option) still reads back.
void read_udp(const value_reader& in, server_options& options) {
  options.udp = in.is_on("udp");
  options.tcp = !in.is_on("no-tcp");
  options.udp_limits.allow_low_ports = in.is_on("udp-allow-low-ports");
  options.udp_limits.rate = count_of(in, "udp-rate");
  options.udp_limits.rate_per_source = count_of(in, "udp-rate-per-source");
  const auto refuse = [&in](const char* name, const std::string& why) {
    throw usage_error(in.where(name) + "--" + name + " " + why);
  };
  if (!options.tcp && !options.udp) refuse("no-tcp", "needs --udp (it would serve nothing)");
  const server_options defaults;
  if (!options.udp) {
    if (options.udp_limits.allow_low_ports) refuse("udp-allow-low-ports", "needs --udp");
    if (options.udp_limits.rate != 0) refuse("udp-rate", "needs --udp");
    if (options.udp_limits.rate_per_source != 0) refuse("udp-rate-per-source", "needs --udp");
    return;
  }
  if (!options.tls_cert.empty()) {
    refuse("udp",
           "serves plain datagrams (there is no DTLS) and cannot go with --tls-cert; run a second "
           "server for UDP");
  }
  if (options.tcp) return;
  const std::string tcp_only = "is about TCP connections: it means nothing with --no-tcp";
  if (options.reply.once) refuse("once", tcp_only);
  if (options.reply.max_line != defaults.reply.max_line) refuse("max-line", tcp_only);
  if (options.message_wait != defaults.message_wait) refuse("message-wait", tcp_only);
  if (options.max_connections != 0) refuse("max-connections", tcp_only);
  if (options.max_connections_per_ip != 0) refuse("max-connections-per-ip", tcp_only);
  if (options.idle_timeout != defaults.idle_timeout) refuse("idle-timeout", tcp_only);
  if (options.write_timeout != defaults.write_timeout) refuse("write-timeout", tcp_only);
  if (options.handshake_timeout != defaults.handshake_timeout)
    refuse("handshake-timeout", tcp_only);
  if (options.max_handshakes != defaults.max_handshakes) refuse("max-handshakes", tcp_only);
  if (options.proxy_protocol) refuse("proxy-protocol", tcp_only);
}

// -v and -q from different layers: the higher one wins, as for any other option.
void read_verbosity(const value_reader& in, server_options& options) {
  bool verbose = in.is_on("verbose");
  bool quiet = in.is_on("quiet");
  if (verbose && quiet) {
    if (in.layer("verbose") == in.layer("quiet")) {
      throw usage_error(in.where("verbose") + "--verbose and --quiet cannot be used together");
    }
    (in.layer("verbose") < in.layer("quiet") ? quiet : verbose) = false;
  }
  if (verbose) options.verbosity = log_level::debug;
  if (quiet) options.verbosity = log_level::warning;
}

// "127.0.0.1:9100", "[::1]:9100", "localhost:0": the address to serve /metrics on.
boost::asio::ip::tcp::endpoint metrics_endpoint_from(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw usage_error("invalid --metrics '" + text +
                      "': expected HOST:PORT, such as 127.0.0.1:9100");
  }
  const std::string host(strip_brackets(text.substr(0, colon)));
  const std::uint16_t port = parse_port_or_throw(text.substr(colon + 1));
  std::string why;
  const auto address = resolve_address(host, why);
  if (!address) throw usage_error("invalid --metrics host '" + host + "': " + why);
  return {*address, port};
}

server_options options_from(const command_line& line, bool is_host_flag_given,
                            bool is_port_flag_given) {
  const value_reader in(line);
  server_options options;
  std::string host = in.text("host");
  std::string port = in.text("port");
  const std::vector<std::string>& arguments = line.positionals;
  apply_host_port_arguments(arguments, is_host_flag_given, is_port_flag_given, host, port);
  // A positional HOST or PORT is the command line's, whatever the environment or file said.
  const bool lone_port = arguments.size() == 1 && is_all_digits(arguments[0]);
  const std::string host_origin = arguments.size() == 2 || (arguments.size() == 1 && !lone_port)
                                      ? std::string()
                                      : in.where("host");
  const std::string port_origin =
      arguments.size() == 2 || lone_port ? std::string() : in.where("port");
  try {
    options.port = parse_port_or_throw(port);
  } catch (const usage_error& e) {
    throw usage_error(port_origin + e.what());
  }
  std::string why;
  const auto address = resolve_address(host, why);
  if (!address) throw usage_error(host_origin + "invalid host '" + host + "': " + why);
  options.host = host;
  options.address = *address;

  const std::string reply = in.text("reply");
  const auto mode = parse_reply_mode(reply);
  if (!mode) {
    throw usage_error(in.where("reply") + "invalid --reply '" + reply +
                      "': expected echo, prefix or ack");
  }
  options.reply.mode = *mode;
  options.reply.prefix =
      in.checked("prefix", [&] { return reply_text_from("prefix", in.text("prefix")); });
  options.reply.ack = in.checked("ack", [&] { return reply_text_from("ack", in.text("ack")); });
  options.reply.once = in.is_on("once");
  options.reply.max_line =
      in.checked("max-line", [&] { return max_line_from(in.text("max-line")); });
  options.message_wait = std::chrono::milliseconds(in.checked("message-wait", [&] {
    return count_from("message-wait", in.text("message-wait"), 60000, "milliseconds");
  }));
  options.max_connections = count_of(in, "max-connections");
  options.max_connections_per_ip = count_of(in, "max-connections-per-ip");
  options.idle_timeout = seconds_from(in, "idle-timeout", 0);
  options.write_timeout = seconds_from(in, "write-timeout", 0);
  options.handshake_timeout = seconds_from(in, "handshake-timeout", 1);
  options.max_handshakes = count_of(in, "max-handshakes");
  options.workers = in.checked(
      "workers", [&] { return number_from("workers", in.text("workers"), 1, 256, "a number"); });
  read_tls(in, options);
  options.proxy_protocol = in.is_on("proxy-protocol");
  options.stats_interval = seconds_from(in, "stats-interval", 0);
  options.metrics = in.text("metrics");
  if (!options.metrics.empty()) {
    options.metrics_endpoint =
        in.checked("metrics", [&] { return metrics_endpoint_from(options.metrics); });
  }
  read_udp(in, options);
  read_verbosity(in, options);
  const std::string format = in.text("log-format");
  const auto parsed_format = parse_log_format(format);
  if (!parsed_format) {
    throw usage_error(in.where("log-format") + "invalid --log-format '" + format +
                      "': expected text or json");
  }
  options.log_format = *parsed_format;
  return options;
}

std::variant<server_options, early_exit> parse(int argc, const char* const argv[],
                                               const option_set& set) {
  command_line line = parse_command_line(argc, argv, set.visible);
  // Only the command line's own --host and --port clash with a positional HOST or PORT.
  const bool is_host_flag_given = !line.values["host"].defaulted();
  const bool is_port_flag_given = !line.values["port"].defaulted();
  store_environment(line, set.settable, environment_prefix, set.command_only);
  if (line.values.count("config") != 0) {
    store_config_file(line, set.settable, line.values["config"].as<std::string>(),
                      set.command_only);
  }
  server_options options = options_from(line, is_host_flag_given, is_port_flag_given);
  if (line.values["print-config"].as<bool>()) {
    return early_exit{config_text(options), exit_code::ok};
  }
  return options;
}

}  // namespace

std::string config_text(const server_options& options) {
  std::string text;
  const auto line = [&](const char* name, std::string_view value) {
    text += std::string(name) + " = " + quote_config_value(value) + "\n";
  };
  const auto number = [&](const char* name, auto value) { line(name, std::to_string(value)); };
  const auto flag = [&](const char* name, bool on) { line(name, on ? "true" : "false"); };
  line("host", options.host);
  number("port", options.port);
  line("reply", to_string(options.reply.mode));
  line("prefix", options.reply.prefix);
  line("ack", options.reply.ack);
  flag("once", options.reply.once);
  number("max-line", options.reply.max_line);
  number("message-wait", options.message_wait.count());
  number("max-connections", options.max_connections);
  number("max-connections-per-ip", options.max_connections_per_ip);
  number("idle-timeout", options.idle_timeout.count());
  number("write-timeout", options.write_timeout.count());
  number("handshake-timeout", options.handshake_timeout.count());
  number("max-handshakes", options.max_handshakes);
  flag("udp", options.udp);
  flag("no-tcp", !options.tcp);
  flag("udp-allow-low-ports", options.udp_limits.allow_low_ports);
  number("udp-rate", options.udp_limits.rate);
  number("udp-rate-per-source", options.udp_limits.rate_per_source);
  number("workers", options.workers);
  line("tls-cert", options.tls_cert);
  line("tls-key", options.tls_key);
  line("tls-client-ca", options.tls_client_ca);
  flag("proxy-protocol", options.proxy_protocol);
  number("stats-interval", options.stats_interval.count());
  line("metrics", options.metrics);
  flag("verbose", options.verbosity == log_level::debug);
  flag("quiet", options.verbosity == log_level::warning);
  line("log-format", to_string(options.log_format));
  return text;
}

std::variant<server_options, early_exit> parse_server_options(int argc, const char* const argv[]) {
  option_set set;
  // Ports and sizes are read as strings so that a bad value gets our own wording. Switches are
  // bool_switch so that a config file can say "once = true" (or false).
  // clang-format off
  set.settable.add_options()
      ("host,H", po::value<std::string>()->default_value("127.0.0.1")->value_name("ADDR"),
       "address to listen on: IPv4 or IPv6 (0.0.0.0, ::, ::1) or a host name")
      ("port,p", po::value<std::string>()->default_value("8888")->value_name("N"),
       "TCP port; 0 picks a free one")
      ("reply", po::value<std::string>()->default_value("echo")->value_name("MODE"),
       "echo | prefix | ack")
      ("prefix", po::value<std::string>()->default_value("Echo: ")->value_name("TEXT"),
       "what --reply prefix puts before each line (at most 1024 bytes)")
      ("ack", po::value<std::string>()->default_value("ACK!")->value_name("TEXT"),
       "what --reply ack answers to each line (at most 1024 bytes)")
      ("once", po::bool_switch(), "close each connection after its first reply")
      ("max-line", po::value<std::string>()->default_value("65536")->value_name("BYTES"),
       "longest line in line modes, not counting its line ending; past it the client gets an error "
       "line and is disconnected")
      ("message-wait", po::value<std::string>()->default_value("50")->value_name("MS"),
       "in line modes, answer data without a newline once the client has been quiet this long")
      ("max-connections", po::value<std::string>()->default_value("0")->value_name("N"),
       "open connections at most; past it new ones are closed at once (0: the descriptor limit "
       "less a reserve, at least 1000)")
      ("max-connections-per-ip", po::value<std::string>()->default_value("0")->value_name("N"),
       "open connections from one address at most (0: no limit)")
      ("idle-timeout", po::value<std::string>()->default_value("300")->value_name("SECONDS"),
       "close a connection with no traffic for this long (0: never)")
      ("write-timeout", po::value<std::string>()->default_value("30")->value_name("SECONDS"),
       "close a connection that has not taken a pending reply for this long (0: never)")
      ("handshake-timeout", po::value<std::string>()->default_value("10")->value_name("SECONDS"),
       "bounds a TLS handshake and the wait for a PROXY header (at least 1)")
      ("max-handshakes", po::value<std::string>()->default_value("1000")->value_name("N"),
       "TLS handshakes in progress at most; past it a client that starts one is closed without "
       "a byte (0: no limit)")
      ("udp", po::bool_switch(),
       "also serve UDP on the same address and port: each datagram is one message (--once and "
       "--max-line do not apply to it)")
      ("no-tcp", po::bool_switch(), "with --udp: serve UDP only")
      ("udp-allow-low-ports", po::bool_switch(),
       "also answer datagrams from source ports below 1024 (off: they are dropped, as they are "
       "how echo loops and reflection start)")
      ("udp-rate", po::value<std::string>()->default_value("0")->value_name("N"),
       "answer at most N datagrams/s in all, per worker; the rest are dropped (0: no limit)")
      ("udp-rate-per-source", po::value<std::string>()->default_value("0")->value_name("N"),
       "answer at most N datagrams/s per source address (IPv6: per /64); the rest are dropped "
       "(0: no limit)")
      ("workers", po::value<std::string>()->default_value("1")->value_name("N"),
       "reactors, one thread each, sharing the port with SO_REUSEPORT")
      ("tls-cert", po::value<std::string>()->default_value("")->value_name("FILE"),
       "serve TLS with this PEM certificate (chain); needs --tls-key")
      ("tls-key", po::value<std::string>()->default_value("")->value_name("FILE"),
       "the PEM private key of --tls-cert")
      ("tls-client-ca", po::value<std::string>()->default_value("")->value_name("FILE"),
       "require client certificates signed by this PEM CA (mutual TLS); needs --tls-cert")
      ("proxy-protocol", po::bool_switch(),
       "expect a PROXY protocol v1 or v2 header (HAProxy) before the data")
      ("stats-interval", po::value<std::string>()->default_value("0")->value_name("SECONDS"),
       "log the stats line this often (0: only on SIGUSR1)")
      ("metrics", po::value<std::string>()->default_value("")->value_name("HOST:PORT"),
       "serve Prometheus metrics at http://HOST:PORT/metrics (port 0 picks one; off by default)")
      ("verbose,v", po::bool_switch(), "also log each message received")
      ("quiet,q", po::bool_switch(),
       "log only warnings and errors (the listening and stats lines still show)")
      ("log-format", po::value<std::string>()->default_value("text")->value_name("FORMAT"),
       "text | json (one JSON object per line)");
  set.command_only.add_options()
      ("config", po::value<std::string>()->value_name("FILE"),
       "read options from FILE, \"name = value\" lines (the command line and ECHO_SERVER_* "
       "variables win over it)")
      ("print-config", po::bool_switch(),
       "print the effective settings as a config file and exit")
      ("help,h", "show this help and exit")
      ("version", "show the version and exit");
  // clang-format on
  // The settable options one by one, then the others as a group after a blank line.
  for (const auto& option : set.settable.options()) set.visible.add(option);
  set.visible.add(set.command_only);

  return run_command_line<server_options>("echo-server", argc, argv, help_text(set.visible),
                                          [&] { return parse(argc, argv, set); });
}

}  // namespace echo
