#include "server/server_options.hpp"

#include "common/address_filter.hpp"
#include "common/command_line.hpp"
#include "common/escape.hpp"
#include "common/number_args.hpp"
#include "server/config_layers.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <type_traits>

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

Signals: SIGINT or SIGTERM shuts down gracefully: pending replies get
--drain-timeout, a second signal closes everything at once. With
--shutdown-delay, SIGTERM first keeps serving that long, not ready (/readyz
503), and a second one drains at once; Ctrl+C never waits. SIGUSR1 logs a
stats line (connections, bytes, refused, timed out).

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

// "a, b or c"
template <class Value>
std::string one_of(std::initializer_list<Value> choices) {
  std::string text;
  std::size_t left = choices.size();
  for (const Value& choice : choices) {
    text += std::string(to_string(choice));
    --left;
    if (left > 1) text += ", ";
    if (left == 1) text += " or ";
  }
  return text;
}

}  // namespace

// Reads the stored values, and says where a bad one came from: an error about a value from the
// environment or a config file starts with the variable's or the file's name.
class value_reader {
 public:
  // Whether --host and --port were on the command line itself (not only in a lower layer): only
  // those clash with a positional HOST or PORT.
  value_reader(const command_line& line, bool is_host_flag_given, bool is_port_flag_given)
      : line_(line),
        is_host_flag_given_(is_host_flag_given),
        is_port_flag_given_(is_port_flag_given) {}

  std::string text(const std::string& name) const { return line_.values[name].as<std::string>(); }
  bool is_on(const std::string& name) const { return line_.values[name].as<bool>(); }
  // A repeatable option's values, each split at commas (the form a file and a variable use);
  // empty when none was given.
  std::vector<std::string> list(const std::string& name) const {
    std::vector<std::string> items;
    if (line_.values.count(name) == 0) return items;
    for (const std::string& value : line_.values[name].as<std::vector<std::string>>()) {
      for (std::size_t at = 0; at <= value.size();) {
        const std::size_t comma = std::min(value.find(',', at), value.size());
        if (comma > at) items.push_back(value.substr(at, comma - at));
        at = comma + 1;
      }
    }
    return items;
  }

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

  // parse(text(name)), with where(name) added to the front of a usage_error it throws.
  template <class Parse>
  auto parsed(const std::string& name, Parse parse) const {
    try {
      return parse(text(name));
    } catch (const usage_error& e) {
      throw usage_error(where(name) + e.what());
    }
  }

  const std::vector<std::string>& positionals() const { return line_.positionals; }
  bool is_host_flag_given() const { return is_host_flag_given_; }
  bool is_port_flag_given() const { return is_port_flag_given_; }

 private:
  const command_line& line_;
  bool is_host_flag_given_;
  bool is_port_flag_given_;
};

namespace {

// --- The kinds of option: each makes a table entry from a few words ---------------------------
// `field` says which member an option sets: &server_options::workers, or in_reply(&reply_config::
// once) for one inside reply.

template <class Member>
auto in_reply(Member member) {
  return [member](auto& options) -> auto& { return options.reply.*member; };
}

template <class Member>
auto in_udp(Member member) {
  return [member](auto& options) -> auto& { return options.udp_limits.*member; };
}

constexpr std::size_t a_lot = 10'000'000;  // the most of any count

std::string boolean(bool on) { return on ? "true" : "false"; }

// An option with a reader of its own, or none when a cross-option step below reads it.
server_option custom_option(std::string name, std::string value_name, std::string help,
                            server_option::kind type, std::string example,
                            std::function<void(const value_reader&, server_options&)> read,
                            std::function<std::string(const server_options&)> print) {
  return {name, value_name, help, type, example, read, print};
}

std::string long_name(const std::string& name) { return name.substr(0, name.find(',')); }

// A valid value besides the default: the lowest, or the next one up when that is the default.
std::string example_of(std::size_t fallback, std::size_t least) {
  return std::to_string(fallback == least ? least + 1 : least);
}

// A whole number from `least` to `most`, in the member's own type (a count or std::chrono).
template <class Field, class Parse>
server_option number_option(std::string name, std::string value_name, std::size_t least,
                            std::string help, Field field, Parse parse) {
  const auto count = [field](const server_options& o) {
    const auto value = std::invoke(field, o);
    if constexpr (std::is_arithmetic_v<decltype(value)>) {
      return static_cast<std::size_t>(value);
    } else {
      return static_cast<std::size_t>(value.count());
    }
  };
  const std::string flag = long_name(name);
  return {name,
          value_name,
          help,
          server_option::kind::value,
          example_of(count(server_options{}), least),
          [=](const value_reader& in, server_options& o) {
            std::invoke(field, o) =
                in.parsed(flag, [&](const std::string& text) { return parse(flag, text); });
          },
          [=](const server_options& o) { return std::to_string(count(o)); }};
}

// Seconds from `least` to a day.
template <class Field>
server_option seconds_option(std::string name, std::size_t least, std::string help, Field field) {
  return number_option(name, "SECONDS", least, help, field,
                       [=](const std::string& flag, const std::string& text) {
                         return whole_seconds(flag, text, least);
                       });
}

// Milliseconds from 0 to `most`.
template <class Field>
server_option milliseconds_option(std::string name, std::size_t most, std::string help,
                                  Field field) {
  return number_option(name, "MS", 0, help, field,
                       [=](const std::string& flag, const std::string& text) {
                         return whole_milliseconds(flag, text, 0, most);
                       });
}

// A count from `least` to `most` (0 usually meaning "no limit" or "derived").
template <class Field>
server_option count_option(std::string name, std::size_t least, std::size_t most, std::string help,
                           Field field) {
  return number_option(name, "N", least, help, field,
                       [=](const std::string& flag, const std::string& text) {
                         return whole_number(flag, text, least, most);
                       });
}

// Bytes, at least `least`.
template <class Field>
server_option bytes_option(std::string name, std::size_t least, std::string help, Field field) {
  return number_option(name, "BYTES", least, help, field,
                       [=](const std::string& flag, const std::string& text) {
                         return byte_count(flag, text, least);
                       });
}

// Text taken as it is (a file name), or at most `most` bytes of it (a reply text).
template <class Field>
server_option text_option(std::string name, std::string value_name, std::string help, Field field,
                          std::size_t most = std::string::npos) {
  const std::string flag = long_name(name);
  return {name,
          value_name,
          help,
          server_option::kind::value,
          "example",
          [=](const value_reader& in, server_options& o) {
            std::invoke(field, o) = in.parsed(flag, [&](const std::string& text) {
              if (text.size() > most) {
                throw usage_error("invalid --" + flag + ": expected at most " +
                                  std::to_string(most) + " bytes, got " +
                                  std::to_string(text.size()));
              }
              return text;
            });
          },
          [=](const server_options& o) { return std::string(std::invoke(field, o)); }};
}

// One of a few words, each the to_string of a value; `parse` is its inverse.
template <class Value, class Field>
server_option choice_option(std::string name, std::string value_name, std::string help,
                            std::initializer_list<Value> choices,
                            std::optional<Value> (*parse)(std::string_view), Field field) {
  const std::string flag = long_name(name);
  const std::string expected = one_of(choices);
  const server_options defaults;
  std::string example;
  for (const Value& choice : choices) {
    if (choice != std::invoke(field, defaults)) example = std::string(to_string(choice));
  }
  return {name,
          value_name,
          help,
          server_option::kind::value,
          example,
          [=](const value_reader& in, server_options& o) {
            std::invoke(field, o) = in.parsed(flag, [&](const std::string& text) {
              const auto value = parse(text);
              if (!value) {
                throw usage_error("invalid --" + flag + " '" + text + "': expected " + expected);
              }
              return *value;
            });
          },
          [=](const server_options& o) { return std::string(to_string(std::invoke(field, o))); }};
}

// On when given ("--once"); a file or the environment says true or false (also yes/no, on/off,
// 1/0).
template <class Field>
server_option switch_option(std::string name, std::string help, Field field) {
  const std::string flag = long_name(name);
  return {
      name,
      "",
      help,
      server_option::kind::toggle,
      "true",
      [=](const value_reader& in, server_options& o) { std::invoke(field, o) = in.is_on(flag); },
      [=](const server_options& o) { return boolean(std::invoke(field, o)); }};
}

// A repeatable option into a std::vector<std::string> member: "--allow A --allow B" on the
// command line, "allow = A,B" in a file or a variable (and --print-config prints it so). Declared
// like the others, e.g.
//   list_option("allow", "CIDR", "accept clients from CIDR only; repeatable",
//   &server_options::allow),
// with each item checked where the member is used or by wrapping `read`.
template <class Field>
server_option list_option(std::string name, std::string value_name, std::string help, Field field) {
  const std::string flag = long_name(name);
  return {name,
          value_name,
          help,
          server_option::kind::list,
          "example,other",
          [=](const value_reader& in, server_options& o) { std::invoke(field, o) = in.list(flag); },
          [=](const server_options& o) {
            std::string text;
            for (const std::string& item : std::invoke(field, o)) {
              text += (text.empty() ? "" : ",") + item;
            }
            return text;
          }};
}

// --allow and --deny: a list_option whose every item must be a CIDR rule ("10.0.0.0/8", "::1").
template <class Field>
server_option cidr_list_option(std::string name, std::string help, Field field) {
  server_option option = list_option(name, "CIDR", std::move(help), field);
  option.example = "192.0.2.0/24,2001:db8::/32";
  option.read = [name, field](const value_reader& in, server_options& o) {
    std::vector<std::string> rules = in.list(name);
    for (const std::string& rule : rules) {
      std::string why;
      if (!parse_cidr(rule, why)) {
        throw usage_error(in.where(name) + "invalid --" + name + " '" + rule + "': " + why);
      }
    }
    std::invoke(field, o) = std::move(rules);
  };
  return option;
}

// "127.0.0.1:9100", "[::1]:9100", "localhost:0": the admin endpoint's address (--admin, or
// --metrics, `flag`).
boost::asio::ip::tcp::endpoint admin_endpoint_from(const std::string& flag,
                                                   const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw usage_error("invalid --" + flag + " '" + text +
                      "': expected HOST:PORT, such as 127.0.0.1:9100");
  }
  const std::string host(strip_brackets(text.substr(0, colon)));
  const std::uint16_t port = parse_port_or_throw(text.substr(colon + 1));
  std::string why;
  const auto address = resolve_address(host, why);
  if (!address) throw usage_error("invalid --" + flag + " host '" + host + "': " + why);
  return {*address, port};
}

// --admin HOST:PORT, or --metrics (its older name, still taken), as given.
server_option admin_option(const char* name, std::string help, std::string server_options::*field) {
  return custom_option(
      name, "HOST:PORT", std::move(help), server_option::kind::value, "127.0.0.1:0",
      [name, field](const value_reader& in, server_options& s) {
        s.*field = in.text(name);
        if (!(s.*field).empty()) {
          s.admin_endpoint = in.parsed(
              name, [name](const std::string& text) { return admin_endpoint_from(name, text); });
        }
      },
      [field](const server_options& s) { return s.*field; });
}

template <class Member>
auto in_impairment(Member member) {
  return [member](auto& options) -> auto& { return options.impairment.*member; };
}

// A percentage from 0 to 100, decimals allowed ("0.5").
template <class Field>
server_option percent_option(std::string name, std::string help, Field field) {
  const std::string flag = long_name(name);
  return {name,
          "PERCENT",
          help,
          server_option::kind::value,
          "12.5",
          [=](const value_reader& in, server_options& o) {
            std::invoke(field, o) = in.parsed(flag, [&](const std::string& text) {
              const std::optional<double> p = decimal_number(text);
              if (!p || !(*p >= 0 && *p <= 100)) {
                throw usage_error("invalid --" + flag + " '" + text +
                                  "': expected a percentage from 0 to 100");
              }
              return impairment::quantized_percent(*p);
            });
          },
          [=](const server_options& o) { return impairment::percent_text(std::invoke(field, o)); }};
}

// --- The options -------------------------------------------------------------------------------
// Adding an option is one entry here (plus its server_options member, whose initial value is the
// default): --help, the ECHO_SERVER_* variable, the config file key, the value's check and its
// --print-config line all follow from it. Entries are in --help and --print-config order. A
// repeatable option (--allow CIDR) is a list_option; a rule between options is a step below.
std::vector<server_option> make_table() {
  using o = server_options;
  return {
      // host and port: read by read_host_port, since a positional HOST or PORT overrides them.
      custom_option("host,H", "ADDR",
                    "address to listen on: IPv4 or IPv6 (0.0.0.0, ::, ::1) or a host name",
                    server_option::kind::value, "::1", {}, [](const o& s) { return s.host; }),
      custom_option("port,p", "N", "TCP port; 0 picks a free one", server_option::kind::value,
                    "9999", {}, [](const o& s) { return std::to_string(s.port); }),
      choice_option("reply", "MODE", "echo | prefix | ack",
                    {reply_mode::echo, reply_mode::prefix, reply_mode::ack}, parse_reply_mode,
                    in_reply(&reply_config::mode)),
      // Every reply holds a --prefix or --ack, so a one-byte line must not be able to cost a
      // megabyte of reply.
      text_option("prefix", "TEXT",
                  "what --reply prefix puts before each line (at most 1024 bytes)",
                  in_reply(&reply_config::prefix), max_reply_text),
      text_option("ack", "TEXT", "what --reply ack answers to each line (at most 1024 bytes)",
                  in_reply(&reply_config::ack), max_reply_text),
      switch_option("once", "close each connection after its first reply",
                    in_reply(&reply_config::once)),
      bytes_option("max-line", 1,
                   "longest line in line modes, not counting its line ending; past it the client "
                   "gets an error line and is disconnected",
                   in_reply(&reply_config::max_line)),
      milliseconds_option("message-wait", 60000,
                          "in line modes, answer data without a newline once the client has been "
                          "quiet this long",
                          &o::message_wait),
      count_option("max-connections", 0, a_lot,
                   "open connections at most; past it new ones are closed at once (0: the "
                   "descriptor limit less a reserve, at least 1000)",
                   &o::max_connections),
      count_option("max-connections-per-ip", 0, a_lot,
                   "open connections from one address at most (0: no limit)",
                   &o::max_connections_per_ip),
      seconds_option("idle-timeout", 0,
                     "close a connection with no traffic for this long (0: never)",
                     &o::idle_timeout),
      seconds_option("write-timeout", 0,
                     "close a connection that has not taken a pending reply for this long (0: "
                     "never)",
                     &o::write_timeout),
      seconds_option("handshake-timeout", 1,
                     "bounds a TLS handshake and the wait for a PROXY header (at least 1)",
                     &o::handshake_timeout),
      count_option("max-handshakes", 0, a_lot,
                   "TLS handshakes in progress at most; past it a client that starts one is "
                   "closed without a byte (0: no limit)",
                   &o::max_handshakes),
      switch_option("udp",
                    "also serve UDP on the same address and port: each datagram is one message "
                    "(--once and --max-line do not apply to it)",
                    &o::udp),
      custom_option(
          "no-tcp", "", "with --udp: serve UDP only", server_option::kind::toggle, "true",
          [](const value_reader& in, o& s) { s.tcp = !in.is_on("no-tcp"); },
          [](const o& s) { return boolean(!s.tcp); }),
      switch_option("udp-allow-low-ports",
                    "also answer datagrams from source ports below 1024 (off: they are dropped, as "
                    "they are how echo loops and reflection start)",
                    in_udp(&udp_settings::allow_low_ports)),
      count_option("udp-rate", 0, a_lot,
                   "answer at most N datagrams/s in all, per worker; the rest are dropped (0: no "
                   "limit)",
                   in_udp(&udp_settings::rate)),
      count_option("udp-rate-per-source", 0, a_lot,
                   "answer at most N datagrams/s per source address (IPv6: per /64); the rest are "
                   "dropped (0: no limit)",
                   in_udp(&udp_settings::rate_per_source)),
      cidr_list_option("allow",
                       "serve only clients in CIDR (TCP and UDP; repeatable, or a comma list); "
                       "any --allow denies everyone else",
                       &o::allow),
      cidr_list_option("deny",
                       "refuse clients in CIDR (TCP: closed without a byte; UDP: dropped); "
                       "repeatable; wins over --allow",
                       &o::deny),
      milliseconds_option("delay", impairment::max_duration.count(),
                          "impairment: hold each reply this long before it leaves (0: off)",
                          in_impairment(&impairment::settings::delay)),
      milliseconds_option("jitter", impairment::max_duration.count(),
                          "impairment: add a random 0 to MS to each reply's --delay",
                          in_impairment(&impairment::settings::jitter)),
      custom_option(
          "throttle", "RATE",
          "impairment: at most RATE bytes/s of replies per connection (UDP: per source), such "
          "as 256k or 1M (0: off)",
          server_option::kind::value, "262144",
          [](const value_reader& in, o& s) {
            s.impairment.throttle = in.parsed("throttle", [](const std::string& text) {
              const auto rate = impairment::parse_rate(text);
              if (!rate) {
                throw usage_error("invalid --throttle '" + text +
                                  "': expected bytes per second, such as 256k, 1M or 100000");
              }
              return *rate;
            });
          },
          [](const o& s) { return std::to_string(s.impairment.throttle); }),
      percent_option("loss", "impairment: drop this share of UDP replies at random",
                     in_impairment(&impairment::settings::loss_percent)),
      bytes_option("reset-after", 0,
                   "impairment: reset (RST) a TCP connection once it has echoed this many bytes "
                   "(0: never)",
                   in_impairment(&impairment::settings::reset_after)),
      percent_option("reset-chance",
                     "impairment: the share of connections --reset-after applies to",
                     in_impairment(&impairment::settings::reset_chance_percent)),
      bytes_option("slice", 0,
                   "impairment: send each TCP reply in pieces of at most BYTES (0: whole)",
                   in_impairment(&impairment::settings::slice)),
      milliseconds_option("slice-gap", impairment::max_duration.count(),
                          "impairment: the pause between two pieces of --slice",
                          in_impairment(&impairment::settings::slice_gap)),
      bytes_option("stall-after", 0,
                   "impairment: stop reading a TCP connection for --stall once this many bytes "
                   "are in",
                   in_impairment(&impairment::settings::stall_after)),
      milliseconds_option("stall", impairment::max_duration.count(),
                          "impairment: how long --stall-after stops reading (0: off)",
                          in_impairment(&impairment::settings::stall)),
      custom_option(
          "seed", "N",
          "the impairments' random seed, to replay a run (default: drawn at start and logged)",
          server_option::kind::value, "42",
          [](const value_reader& in, o& s) {
            const std::string text = in.text("seed");
            if (text.empty()) return;
            s.seed = in.parsed("seed", [](const std::string& t) -> std::uint64_t {
              // Any 64-bit value, as GET /impairment may show one set over PUT.
              const bool digits =
                  !t.empty() && t.size() <= 20 &&
                  std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
              errno = 0;
              const unsigned long long value = digits ? std::strtoull(t.c_str(), nullptr, 10) : 0;
              if (!digits || errno == ERANGE) {
                throw usage_error("invalid --seed '" + t +
                                  "': expected a whole number from 0 to 18446744073709551615");
              }
              return static_cast<std::uint64_t>(value);
            });
          },
          [](const o& s) { return s.seed ? std::to_string(*s.seed) : std::string(); }),
      count_option("workers", 1, 256,
                   "reactors, one thread each, sharing the port with SO_REUSEPORT", &o::workers),
      text_option("tls-cert", "FILE",
                  "serve TLS with this PEM certificate (chain); needs --tls-key", &o::tls_cert),
      text_option("tls-key", "FILE", "the PEM private key of --tls-cert", &o::tls_key),
      text_option("tls-client-ca", "FILE",
                  "require client certificates signed by this PEM CA (mutual TLS); needs "
                  "--tls-cert",
                  &o::tls_client_ca),
      switch_option("proxy-protocol",
                    "expect a PROXY protocol v1 or v2 header (HAProxy) before the data",
                    &o::proxy_protocol),
      seconds_option("stats-interval", 0, "log the stats line this often (0: only on SIGUSR1)",
                     &o::stats_interval),
      admin_option("admin",
                   "serve the admin endpoint at http://HOST:PORT: /metrics (Prometheus), "
                   "/healthz, /readyz, /impairment (port 0 picks one; off by default)",
                   &o::admin),
      admin_option("metrics", "the older name of --admin, still taken", &o::metrics),
      switch_option("admin-write",
                    "allow PUT and DELETE /impairment on the admin endpoint: whoever reaches it "
                    "can then degrade the service",
                    &o::admin_write),
      seconds_option("shutdown-delay", 0,
                     "on SIGTERM (not Ctrl+C), report not ready (/readyz 503) and keep serving "
                     "this long before draining",
                     &o::shutdown_delay),
      seconds_option("drain-timeout", 0,
                     "at shutdown, how long in-flight replies may take before the connections "
                     "are closed (0: close at once)",
                     &o::drain_timeout),
      // verbose and quiet: read by read_verbosity, since they set one level between them.
      custom_option("verbose,v", "", "also log each message received", server_option::kind::toggle,
                    "true", {},
                    [](const o& s) { return boolean(s.verbosity == log_level::debug); }),
      custom_option("quiet,q", "",
                    "log only warnings and errors (the listening and stats lines still show)",
                    server_option::kind::toggle, "true", {},
                    [](const o& s) { return boolean(s.verbosity == log_level::warning); }),
      choice_option("log-format", "FORMAT", "text | json (one JSON object per line)",
                    {log_format::text, log_format::json}, parse_log_format, &o::log_format),
  };
}

// --- Cross-option steps, after the entries they read -------------------------------------------

// Positional HOST and PORT, over --host and --port from any layer; then both checked.
void read_host_port(const value_reader& in, server_options& options) {
  std::string host = in.text("host");
  std::string port = in.text("port");
  const std::vector<std::string>& arguments = in.positionals();
  apply_host_port_arguments(arguments, in.is_host_flag_given(), in.is_port_flag_given(), host,
                            port);
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
}

void check_tls_files(const value_reader& in, server_options& options) {
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
void check_protocols(const value_reader& in, server_options& options) {
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

// The impairments' companions, which mean nothing alone.
void check_impairment(const value_reader& in, server_options& options) {
  const impairment::settings& s = options.impairment;
  const auto refuse = [&in](const char* name, const std::string& why) {
    throw usage_error(in.where(name) + "--" + name + " " + why);
  };
  if (s.reset_chance_percent != 100 && s.reset_after == 0)
    refuse("reset-chance", "needs --reset-after");
  if (s.slice_gap.count() != 0 && s.slice == 0) refuse("slice-gap", "needs --slice");
  if (s.stall_after != 0 && s.stall.count() == 0) refuse("stall-after", "needs --stall");
  if (!options.tcp) {
    const std::string tcp_only = "is about TCP connections: it means nothing with --no-tcp";
    if (s.reset_after != 0) refuse("reset-after", tcp_only);
    if (s.slice != 0) refuse("slice", tcp_only);
    if (s.stall.count() != 0) refuse("stall", tcp_only);
  }
  if (s.loss_percent != 0 && !options.udp) {
    refuse("loss",
           "drops UDP replies and needs --udp (a TCP connection cannot lose bytes: see "
           "--reset-after)");
  }
}

// --admin and --metrics name one endpoint; --admin-write needs it.
void check_admin(const value_reader& in, server_options& options) {
  if (!options.admin.empty() && !options.metrics.empty() && options.admin != options.metrics) {
    throw usage_error(in.where("metrics") +
                      "--metrics is the older name of --admin: give one of them");
  }
  if (options.admin.empty()) options.admin = options.metrics;
  if (options.admin_write && options.admin.empty()) {
    throw usage_error(in.where("admin-write") + "--admin-write needs --admin");
  }
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

// Each runs right after the last option it reads, so that of two bad values the one reported is
// the earlier option's.
struct cross_option_step {
  const char* after;
  void (*run)(const value_reader&, server_options&);
};
constexpr cross_option_step cross_option_steps[] = {
    {"port", read_host_port},
    {"tls-client-ca", check_tls_files},
    {"proxy-protocol", check_protocols},
    {"seed", check_impairment},
    {"admin-write", check_admin},
    {"quiet", read_verbosity},
};

server_options options_from(const command_line& line, bool is_host_flag_given,
                            bool is_port_flag_given) {
  const value_reader in(line, is_host_flag_given, is_port_flag_given);
  server_options options;
  for (const server_option& option : server_option_table()) {
    if (option.read) option.read(in, options);
    for (const cross_option_step& step : cross_option_steps) {
      if (option.long_name() == step.after) step.run(in, options);
    }
  }
  return options;
}

// The three sets of options: what a config file and the environment may set as well as the
// command line (the table, in its order), what only the command line takes, and both for --help.
struct option_set {
  po::options_description settable{"", 100, 50};
  po::options_description command_only{"", 100, 50};
  po::options_description visible{"Options", 100, 50};

  option_set() {
    // Values are read as strings so that a bad one gets our own wording. Switches are
    // bool_switch so that a config file can say "once = true" (or false).
    const server_options defaults;
    for (const server_option& option : server_option_table()) {
      const po::value_semantic* semantic = nullptr;
      switch (option.type) {
        case server_option::kind::value:
          semantic = po::value<std::string>()
                         ->default_value(option.print(defaults))
                         ->value_name(option.value_name);
          break;
        case server_option::kind::toggle:
          semantic = po::bool_switch();
          break;
        case server_option::kind::list:
          semantic = po::value<std::vector<std::string>>()->value_name(option.value_name);
          break;
      }
      settable.add_options()(option.name.c_str(), semantic, option.help.c_str());
    }
    // clang-format off
    command_only.add_options()
        ("config", po::value<std::string>()->value_name("FILE"),
         "read options from FILE, \"name = value\" lines (the command line and ECHO_SERVER_* "
         "variables win over it)")
        ("print-config", po::bool_switch(),
         "print the effective settings as a config file and exit")
        ("help,h", "show this help and exit")
        ("version", "show the version and exit");
    // clang-format on
    // The settable options one by one, then the others as a group after a blank line.
    for (const auto& option : settable.options()) visible.add(option);
    visible.add(command_only);
  }
};

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

const std::vector<server_option>& server_option_table() {
  static const std::vector<server_option> table = make_table();
  return table;
}

std::string config_text(const server_options& options) {
  std::string text;
  for (const server_option& option : server_option_table()) {
    text += option.long_name() + " = " + quote_config_value(option.print(options)) + "\n";
  }
  return text;
}

std::variant<server_options, early_exit> parse_server_options(int argc, const char* const argv[]) {
  const option_set set;
  return run_command_line<server_options>("echo-server", argc, argv, help_text(set.visible),
                                          [&] { return parse(argc, argv, set); });
}

}  // namespace echo
