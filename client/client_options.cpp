#include "client/client_options.hpp"

#include "common/command_line.hpp"
#include "common/endpoint.hpp"
#include "common/number_args.hpp"

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
  --bench       load the server, report messages/s, MB/s and latency percentiles
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
  echo-client --bench --connections 100        100 connections x 64 B, closed loop, 10 s
  echo-client --tls-ca ca.pem localhost 8443 -m hi      TLS, the server verified against ca.pem
  echo-client -u -m hello                      one datagram, prints its reply (like nc -u)
  echo-client -u --bench --connections 64 --duration 5  UDP load: loss, reordering, jitter

Exit codes: 0 success; 1 a --test case failed or the server hung up before replying;
2 bad flag or value; 3 connection refused; 4 host not found; 5 timed out; 6 connection reset;
7 TLS handshake failed (certificate not trusted, wrong name, client certificate refused).
)";

// The client's own wording for --timeout, older than the shared decimal_seconds; rounded up, so
// that a tiny timeout is never 0.
std::chrono::milliseconds timeout_from(const std::string& text) {
  const auto seconds = decimal_number(text);
  if (!seconds || *seconds <= 0 || *seconds > static_cast<double>(max_seconds)) {
    throw usage_error("invalid --timeout '" + text +
                      "': expected a number of seconds above 0 (at most 86400)");
  }
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(*seconds * 1000)));
}

// Every message in flight is held in full (and its echo checked against it), so the load must
// fit in memory: one line naming the flags that multiply, rather than bad_alloc mid-run.
void check_bytes_in_flight(const bench_options& bench) {
  const bool is_closed_loop = bench.rate == 0 && !bench.is_churn;
  const std::size_t depth = is_closed_loop ? bench.depth : 1;
  // At most 2^24 x 2^10 x 10^5: no overflow in 64 bits.
  const std::size_t bytes = bench.size * depth * bench.connections;
  if (bytes <= bench_options::max_bytes_in_flight) return;
  std::string product = "--size " + std::to_string(bench.size);
  if (is_closed_loop) product += " x --depth " + std::to_string(bench.depth);
  product += " x --connections " + std::to_string(bench.connections);
  throw usage_error(product + " is " + std::to_string(bytes) +
                    " bytes in flight, over the bench's limit of 1 GiB");
}

bench_options bench_from(const po::variables_map& vm) {
  bench_options bench;
  bench.connections = whole_number("connections", vm["connections"].as<std::string>(), 1, 100'000);
  bench.size = whole_number("size", vm["size"].as<std::string>(), 1, 16 * 1024 * 1024);
  bench.depth = whole_number("depth", vm["depth"].as<std::string>(), 1, 1024);
  bench.duration = decimal_seconds("duration", vm["duration"].as<std::string>(), false);
  bench.warmup = decimal_seconds("warmup", vm["warmup"].as<std::string>(), true);
  bench.rate =
      static_cast<double>(whole_number("rate", vm["rate"].as<std::string>(), 0, 100'000'000));
  bench.is_churn = vm.count("churn") != 0;
  bench.is_json = vm.count("json") != 0;
  if (bench.is_churn && bench.rate > 0) {
    throw usage_error("--churn and --rate cannot be used together");
  }
  check_bytes_in_flight(bench);
  return bench;
}

// --threads and --json-stream: after bench_from, whose --connections they need.
void apply_bench_threads(const po::variables_map& vm, bool is_bench, bench_options& bench) {
  for (const char* flag : {"threads", "json-stream"}) {
    if (!is_bench && !vm[flag].defaulted() && vm.count(flag) != 0) {
      throw usage_error("--" + std::string(flag) + " needs --bench");
    }
  }
  bench.threads = whole_number("threads", vm["threads"].as<std::string>(), 1, 256);
  bench.is_json_stream = vm.count("json-stream") != 0;
  if (bench.threads > bench.connections) {
    throw usage_error("--threads " + std::to_string(bench.threads) +
                      " is more than --connections " + std::to_string(bench.connections) +
                      ": each thread needs a connection");
  }
}

client_tls_options tls_from(const po::variables_map& vm) {
  client_tls_options tls;
  const auto text = [&](const char* flag) {
    if (vm.count(flag) == 0) return std::string();
    const std::string value = vm[flag].as<std::string>();
    if (value.empty()) throw usage_error("invalid --" + std::string(flag) + " '': empty");
    return value;
  };
  tls.ca = text("tls-ca");
  tls.certificate = text("tls-cert");
  tls.private_key = text("tls-key");
  tls.server_name = text("tls-server-name");
  tls.is_insecure = vm.count("insecure") != 0;
  if (tls.certificate.empty() != tls.private_key.empty()) {
    throw usage_error("--tls-cert and --tls-key go together");
  }
  if (tls.is_insecure && !tls.ca.empty()) {
    throw usage_error("--insecure and --tls-ca cannot be used together");
  }
  tls.is_enabled = vm.count("tls") != 0 || !tls.ca.empty() || !tls.certificate.empty() ||
                   tls.is_insecure || !tls.server_name.empty();
  return tls;
}

// -u: the flags that mean nothing over UDP, --retries, and the bench datagram's size bounds.
void check_udp(const po::variables_map& vm, client_options& options) {
  options.retries = whole_number("retries", vm["retries"].as<std::string>(), 0, 100);
  const bool is_retries_given = !vm["retries"].defaulted();
  if (!options.is_udp) {
    if (is_retries_given) throw usage_error("--retries needs --udp");
    return;
  }
  for (const char* flag : {"tls", "tls-ca", "tls-cert", "tls-key", "tls-server-name", "insecure",
                           "churn", "no-shutdown"}) {
    if (vm.count(flag) != 0) {
      throw usage_error("--udp and --" + std::string(flag) + " cannot be used together");
    }
  }
  if (is_retries_given && options.mode != client_mode::one_shot) {
    throw usage_error("--retries needs --message");
  }
  if (!vm["timeout"].defaulted()) options.udp_loss_deadline = options.timeout;
  if (options.mode != client_mode::bench) return;
  const std::string size = std::to_string(options.bench.size);
  if (options.bench.size < udp_bench_header_size) {
    throw usage_error("invalid --size '" + size + "' with --udp: at least " +
                      std::to_string(udp_bench_header_size) +
                      " bytes (each datagram's sequence number and send time)");
  }
  if (options.bench.size > 65'527) {
    throw usage_error("invalid --size '" + size +
                      "' with --udp: at most 65527 bytes, the largest UDP datagram (65507 over "
                      "IPv4)");
  }
}

// --source and --histogram. A literal server address must be of the sources' family; a name is
// checked once resolved.
void check_source_and_histogram(const po::variables_map& vm, client_options& options) {
  if (vm.count("source") != 0) {
    options.sources = source_addresses::parse(vm["source"].as<std::string>());
    const auto server = parse_address(options.host);
    if (server && server->is_v6() != options.sources.is_v6()) {
      throw usage_error("--source " + options.sources.describe() + " is " +
                        (options.sources.is_v6() ? "IPv6" : "IPv4") + " but the server " +
                        options.host + " is " + (server->is_v6() ? "IPv6" : "IPv4"));
    }
  }
  if (vm.count("histogram") == 0) return;
  options.histogram_file = vm["histogram"].as<std::string>();
  if (options.histogram_file.empty()) throw usage_error("invalid --histogram '': empty");
  if (options.mode != client_mode::bench) throw usage_error("--histogram needs --bench");
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
  const bool is_bench = vm.count("bench") != 0;
  if (is_test && !options.messages.empty()) {
    throw usage_error("--message and --test cannot be used together");
  }
  if (is_bench && (is_test || !options.messages.empty())) {
    throw usage_error("--bench cannot be used with --message or --test");
  }
  for (const char* flag :
       {"connections", "size", "depth", "duration", "warmup", "rate", "churn", "json"}) {
    if (!is_bench && !vm[flag].defaulted() && vm.count(flag) != 0) {
      throw usage_error("--" + std::string(flag) + " needs --bench");
    }
  }
  options.bench = bench_from(vm);
  apply_bench_threads(vm, is_bench, options.bench);
  options.tls = tls_from(vm);
  if (is_bench) {
    options.mode = client_mode::bench;
  } else if (is_test) {
    options.mode = client_mode::self_test;
  } else if (!options.messages.empty()) {
    options.mode = client_mode::one_shot;
  } else {
    options.mode = stdin_is_terminal ? client_mode::interactive : client_mode::pipe;
  }
  options.is_udp = vm.count("udp") != 0;
  check_udp(vm, options);
  check_source_and_histogram(vm, options);
  return options;
}

}  // namespace

std::variant<client_options, early_exit> parse_client_options(int argc, const char* const argv[],
                                                              bool stdin_is_terminal) {
  po::options_description visible("Options", 100, 50);
  // clang-format off
  visible.add_options()
      ("host,H", po::value<std::string>()->default_value(std::string(default_host))->value_name("ADDR"),
       "server address or host name (IPv4, IPv6, localhost)")
      ("port,p", po::value<std::string>()->default_value(std::to_string(default_port))->value_name("N"),
       "server port")
      ("message,m", po::value<std::vector<std::string>>()->composing()->value_name("TEXT"),
       "send TEXT as a line and print the reply line; repeat for more messages")
      ("test", "run the automated echo check and report each case")
      ("bench", "load the server and measure: messages/s, MB/s, latency percentiles")
      ("connections", po::value<std::string>()->default_value("1")->value_name("N"),
       "bench: connections at once")
      ("size", po::value<std::string>()->default_value("64")->value_name("BYTES"),
       "bench: bytes per message")
      ("depth", po::value<std::string>()->default_value("1")->value_name("K"),
       "bench: messages in flight per connection")
      ("duration", po::value<std::string>()->default_value("10")->value_name("SECONDS"),
       "bench: how long to measure")
      ("warmup", po::value<std::string>()->default_value("1")->value_name("SECONDS"),
       "bench: how long to run before measuring")
      ("rate", po::value<std::string>()->default_value("0")->value_name("MSGS_PER_S"),
       "bench: total messages/s sent on a fixed schedule, the connections' sends interleaved, "
       "latency from the scheduled time (0: closed loop)")
      ("churn", "bench: each message on a new connection (connect, send, receive, close)")
      ("json", "bench: print one JSON object instead of the report")
      ("threads", po::value<std::string>()->default_value("1")->value_name("N"),
       "bench: reactors (a thread each), each with its share of --connections and --rate; one "
       "merged report (at most 256, and no more than --connections)")
      ("json-stream", "bench: one JSON object per second while running (iperf3's intervals), "
       "then the final one (--json's, with \"final\": true); one object a line")
      ("udp,u", "UDP, like nc -u: each -m message, and in pipe and interactive mode each line of "
       "stdin (without its newline), is one datagram; each reply is printed as a line, in "
       "arrival order. --test and --bench check and load the server's UDP side")
      ("retries", po::value<std::string>()->default_value("0")->value_name("N"),
       "UDP -m: resend a message N more times when no reply comes within --timeout")
      ("tls", "connect with TLS, verifying the server against the system's trust store")
      ("tls-ca", po::value<std::string>()->value_name("FILE"),
       "TLS: verify the server against this CA (PEM) instead; implies --tls")
      ("tls-cert", po::value<std::string>()->value_name("FILE"),
       "TLS: client certificate (PEM) for mutual TLS, with --tls-key; implies --tls")
      ("tls-key", po::value<std::string>()->value_name("FILE"),
       "TLS: the client certificate's private key (PEM)")
      ("tls-server-name", po::value<std::string>()->value_name("NAME"),
       "TLS: the name to verify and send as SNI (default: the host, unless it is an IP address, "
       "which is then verified as such and no SNI is sent); implies --tls")
      ("insecure", "TLS without verifying the server's certificate (warns); implies --tls")
      ("timeout", po::value<std::string>()->default_value("10")->value_name("SECONDS"),
       "bound on connecting (with the TLS handshake) and on each wait for a reply; UDP bench: "
       "the loss deadline, after which a datagram with no reply counts lost (default there 1)")
      ("source", po::value<std::string>()->value_name("ADDR[,ADDR...]"),
       "bind each connection and UDP socket to one of these local addresses, round-robin, like "
       "nc -s; ranges too: 127.0.0.1-127.0.0.16 or 127.0.0.1-16 (at most 65536 addresses). "
       "Default: the kernel's choice, except --churn to a loopback server: 127.0.0.1-127.0.0.16")
      ("histogram", po::value<std::string>()->value_name("FILE"),
       "bench: write the latency distribution to FILE in HdrHistogram's percentile text format "
       "(milliseconds), as wrk2 prints it, for HdrHistogram's plotter")
      ("no-shutdown", "pipe mode: keep sending side open after stdin's end (no half-close)")
      ("verbose,v", "trace each step on stderr")
      ("help,h", "show this help and exit")
      ("version", "show the version and exit");
  // clang-format on

  std::ostringstream help;
  help << help_header;
  // Two spaces at least between an option and its description, for help2man (see echo-server).
  visible.print(help, visible.get_option_column_width() + 1);
  help << help_footer;
  return run_command_line<client_options>("echo-client", argc, argv, help.str(), [&] {
    return parse(argc, argv, visible, stdin_is_terminal);
  });
}

}  // namespace echo
