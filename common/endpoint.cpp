#include "common/endpoint.hpp"

#include "common/errors.hpp"

#include <boost/asio/io_context.hpp>

namespace echo {

namespace ip = boost::asio::ip;

bool is_all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

namespace {

bool looks_numeric(std::string_view host) {
  const std::size_t dot = host.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  return is_all_digits(last) || last.substr(0, 2) == "0x" || last.substr(0, 2) == "0X";
}

}  // namespace

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (!is_all_digits(text) || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (const char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

std::optional<ip::address> parse_address(std::string_view host) {
  boost::system::error_code ec;
  const auto address = ip::make_address(std::string(strip_brackets(host)), ec);
  if (ec) return std::nullopt;
  return address;
}

std::optional<ip::address> resolve_address(std::string_view host, std::string& error) {
  if (host.empty()) {
    error = "empty host";
    return std::nullopt;
  }
  if (auto literal = parse_address(host)) return literal;
  if (looks_numeric(host)) {
    // getaddrinfo would read inet_aton shorthands ("127.1", "1.2.3", "2130706433") as some other
    // address; a host name's last label is never numeric, so this is a malformed literal.
    error = "not an IP address and it does not resolve";
    return std::nullopt;
  }
  // Setup time only, before any reactor runs, so a blocking lookup is fine here.
  boost::asio::io_context context;
  ip::tcp::resolver resolver(context);
  boost::system::error_code ec;
  const auto results = resolver.resolve(std::string(host), "", ec);
  if (ec || results.empty()) {
    error = "not an IP address and it does not resolve";
    return std::nullopt;
  }
  return results.begin()->endpoint().address();
}

std::string format_endpoint(const ip::address& address, std::uint16_t port) {
  // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; show them as the IPv4 they are.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return format_endpoint(ip::make_address_v4(ip::v4_mapped, address.to_v6()), port);
  }
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(port);
  return address.to_string() + ":" + std::to_string(port);
}

std::string format_endpoint(const ip::tcp::endpoint& endpoint) {
  return format_endpoint(endpoint.address(), endpoint.port());
}

std::string invalid_port_message(std::string_view text) {
  return "invalid port '" + std::string(text) + "': expected a number from 0 to 65535";
}

std::uint16_t parse_port_or_throw(std::string_view text) {
  const auto port = parse_port(text);
  if (!port) throw usage_error(invalid_port_message(text));
  return *port;
}

void apply_host_port_arguments(const std::vector<std::string>& arguments, bool is_host_flag_given,
                               bool is_port_flag_given, std::string& host, std::string& port) {
  if (arguments.size() > 2) {
    throw usage_error("too many arguments: expected at most HOST and PORT, got '" + arguments[2] +
                      "'");
  }
  std::optional<std::string> arg_host;
  std::optional<std::string> arg_port;
  if (arguments.size() == 2) {
    arg_host = arguments[0];
    arg_port = arguments[1];
  } else if (arguments.size() == 1) {
    (is_all_digits(arguments[0]) ? arg_port : arg_host) = arguments[0];
  }
  if (arg_host) {
    if (is_host_flag_given) throw usage_error("host given twice: as --host and as an argument");
    host = *arg_host;
  }
  if (arg_port) {
    if (is_port_flag_given) throw usage_error("port given twice: as --port and as an argument");
    port = *arg_port;
  }
}

}  // namespace echo
