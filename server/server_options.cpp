#include "server/server_options.hpp"

#include "common/command_line.hpp"
#include "common/endpoint.hpp"

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

// A whole number from 0 to `most`, for counts, seconds and milliseconds.
std::size_t count_from(const std::string& flag, const std::string& text, std::size_t most,
                       const char* unit) {
  if (!is_all_digits(text) || text.size() > 9 || std::stoull(text) > most) {
    throw usage_error("invalid --" + flag + " '" + text + "': expected " + unit + " from 0 to " +
                      std::to_string(most));
  }
  return static_cast<std::size_t>(std::stoull(text));
}

std::size_t max_line_from(const std::string& text) {
  if (!is_all_digits(text) || text.size() > 12 || std::stoull(text) == 0) {
    throw usage_error("invalid --max-line '" + text + "': expected a number of bytes, at least 1");
  }
  return static_cast<std::size_t>(std::stoull(text));
}

server_options parse(int argc, const char* const argv[], const po::options_description& visible) {
  const command_line line = parse_command_line(argc, argv, visible);
  const po::variables_map& vm = line.values;

  server_options options;
  std::string host = vm["host"].as<std::string>();
  std::string port = vm["port"].as<std::string>();
  apply_host_port_arguments(line.positionals, !vm["host"].defaulted(), !vm["port"].defaulted(),
                            host, port);
  options.port = parse_port_or_throw(port);
  std::string why;
  const auto address = resolve_address(host, why);
  if (!address) throw usage_error("invalid host '" + host + "': " + why);
  options.host = host;
  options.address = *address;

  const auto mode = parse_reply_mode(vm["reply"].as<std::string>());
  if (!mode) {
    throw usage_error("invalid --reply '" + vm["reply"].as<std::string>() +
                      "': expected echo, prefix or ack");
  }
  options.reply.mode = *mode;
  options.reply.prefix = vm["prefix"].as<std::string>();
  options.reply.ack = vm["ack"].as<std::string>();
  options.reply.once = vm.count("once") != 0;
  options.reply.max_line = max_line_from(vm["max-line"].as<std::string>());
  options.message_wait = std::chrono::milliseconds(
      count_from("message-wait", vm["message-wait"].as<std::string>(), 60000, "milliseconds"));
  constexpr std::size_t a_day = 86400;
  constexpr std::size_t a_lot = 10'000'000;
  options.max_connections =
      count_from("max-connections", vm["max-connections"].as<std::string>(), a_lot, "a number");
  options.max_connections_per_ip = count_from(
      "max-connections-per-ip", vm["max-connections-per-ip"].as<std::string>(), a_lot, "a number");
  options.idle_timeout = std::chrono::seconds(
      count_from("idle-timeout", vm["idle-timeout"].as<std::string>(), a_day, "seconds"));
  options.workers = count_from("workers", vm["workers"].as<std::string>(), 256, "a number");
  if (options.workers == 0)
    throw usage_error("invalid --workers '0': expected a number from 1 to 256");
  options.write_timeout = std::chrono::seconds(
      count_from("write-timeout", vm["write-timeout"].as<std::string>(), a_day, "seconds"));

  const bool verbose = vm.count("verbose") != 0;
  const bool quiet = vm.count("quiet") != 0;
  if (verbose && quiet) throw usage_error("--verbose and --quiet cannot be used together");
  if (verbose) options.verbosity = log_level::debug;
  if (quiet) options.verbosity = log_level::warning;
  return options;
}

}  // namespace

std::variant<server_options, early_exit> parse_server_options(int argc, const char* const argv[]) {
  po::options_description visible("Options", 100, 50);
  // Ports and sizes are read as strings so that a bad value gets our own wording.
  // clang-format off
  visible.add_options()
      ("host,H", po::value<std::string>()->default_value("127.0.0.1")->value_name("ADDR"),
       "address to listen on: IPv4 or IPv6 (0.0.0.0, ::, ::1) or a host name")
      ("port,p", po::value<std::string>()->default_value("8888")->value_name("N"),
       "TCP port; 0 picks a free one")
      ("reply", po::value<std::string>()->default_value("echo")->value_name("MODE"),
       "echo | prefix | ack")
      ("prefix", po::value<std::string>()->default_value("Echo: ")->value_name("TEXT"),
       "what --reply prefix puts before each line")
      ("ack", po::value<std::string>()->default_value("ACK!")->value_name("TEXT"),
       "what --reply ack answers to each line")
      ("once", "close each connection after its first reply")
      ("max-line", po::value<std::string>()->default_value("65536")->value_name("BYTES"),
       "longest line in line modes; past it the client gets an error line and is disconnected")
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
      ("workers", po::value<std::string>()->default_value("1")->value_name("N"),
       "reactors, one thread each, sharing the port with SO_REUSEPORT")
      ("verbose,v", "also log each message received")
      ("quiet,q", "log only warnings and errors (the listening line still shows)")
      ("help,h", "show this help and exit")
      ("version", "show the version and exit");
  // clang-format on

  return run_command_line<server_options>("echo-server", argc, argv, help_text(visible),
                                          [&] { return parse(argc, argv, visible); });
}

}  // namespace echo
