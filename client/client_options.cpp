#include "client/client_options.hpp"

#include "common/command_line.hpp"
#include "common/endpoint.hpp"

#include <boost/program_options.hpp>

#include <cmath>
#include <sstream>

namespace echo {

namespace po = boost::program_options;

namespace {

constexpr const char* help_header = R"(Usage: echo-client [options] [HOST [PORT]]

Talks to an echo server (127.0.0.1:8888 unless told otherwise). The mode follows from the flags
and from stdin:
  -m TEXT ...   send each message as a line, print each reply line, exit
  --test        check that the server echoes correctly, case by case
  stdin a pipe or a file: stdin to the server, the server to stdout, byte for byte
  stdin a terminal: interactive, with a prompt

)";

constexpr const char* help_footer = R"(
Examples:
  echo-client -m hello                         prints the reply: hello
  echo-client 192.0.2.7 9999 -m a -m b         two messages, two reply lines
  printf 'Hello' | echo-client                 pipe mode, like nc -N
  echo-client < big.bin > back.bin             a file through the server and back
  echo-client --test                           check the server on 127.0.0.1:8888

Exit codes: 0 success; 1 a --test case failed or the server hung up before replying;
2 bad flag or value; 3 connection refused; 4 host not found; 5 timed out; 6 connection reset.
)";

std::chrono::milliseconds timeout_from(const std::string& text) {
  double seconds = 0;
  std::size_t used = 0;
  try {
    seconds = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !std::isfinite(seconds) || seconds <= 0 || seconds > 86400) {
    throw usage_error("invalid --timeout '" + text +
                      "': expected a number of seconds above 0 (at most 86400)");
  }
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000)));
}

client_options parse(int argc, const char* const argv[], const po::options_description& visible,
                     bool stdin_is_terminal) {
  const command_line line = parse_command_line(argc, argv, visible);
  const po::variables_map& vm = line.values;

  client_options options;
  std::string host = vm["host"].as<std::string>();
  std::string port = vm["port"].as<std::string>();
  apply_host_port_arguments(line.positionals, !vm["host"].defaulted(), !vm["port"].defaulted(),
                            host, port);
  if (host.empty()) throw usage_error("invalid host '': empty host");
  options.host = host;
  options.port = parse_port_or_throw(port);
  options.timeout = timeout_from(vm["timeout"].as<std::string>());
  options.is_shutdown_after_input = vm.count("no-shutdown") == 0;
  options.is_verbose = vm.count("verbose") != 0;
  if (vm.count("message")) options.messages = vm["message"].as<std::vector<std::string>>();

  const bool is_test = vm.count("test") != 0;
  if (is_test && !options.messages.empty()) {
    throw usage_error("--message and --test cannot be used together");
  }
  if (is_test) {
    options.mode = client_mode::self_test;
  } else if (!options.messages.empty()) {
    options.mode = client_mode::one_shot;
  } else {
    options.mode = stdin_is_terminal ? client_mode::interactive : client_mode::pipe;
  }
  return options;
}

}  // namespace

std::variant<client_options, early_exit> parse_client_options(int argc, const char* const argv[],
                                                              bool stdin_is_terminal) {
  po::options_description visible("Options", 100, 50);
  // clang-format off
  visible.add_options()
      ("host,H", po::value<std::string>()->default_value("127.0.0.1")->value_name("ADDR"),
       "server address or host name (IPv4, IPv6, localhost)")
      ("port,p", po::value<std::string>()->default_value("8888")->value_name("N"),
       "server port")
      ("message,m", po::value<std::vector<std::string>>()->composing()->value_name("TEXT"),
       "send TEXT as a line and print the reply line; repeat for more messages")
      ("test", "run the automated echo check and report each case")
      ("timeout", po::value<std::string>()->default_value("10")->value_name("SECONDS"),
       "bound on connecting and on each wait for a reply")
      ("no-shutdown", "pipe mode: keep sending side open after stdin's end (no half-close)")
      ("verbose,v", "trace each step on stderr")
      ("help,h", "show this help and exit")
      ("version", "show the version and exit");
  // clang-format on

  std::ostringstream help;
  help << help_header << visible << help_footer;
  return run_command_line<client_options>("echo-client", argc, argv, help.str(), [&] {
    return parse(argc, argv, visible, stdin_is_terminal);
  });
}

}  // namespace echo
