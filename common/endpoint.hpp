#pragma once
// HOST and PORT as users type them, shared by server and client: parse and validate them, resolve
// names, and format endpoints the one way the logs show them ("127.0.0.1:8888", "[::1]:8888").
// Plain functions; no state.

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace echo {

constexpr std::uint16_t default_port = 8888;
constexpr std::string_view default_host = "127.0.0.1";

// A decimal port from 0 to 65535, digits only (no sign, no spaces). nullopt for anything else.
std::optional<std::uint16_t> parse_port(std::string_view text);

// "[::1]" -> "::1"; anything without a surrounding pair of brackets is returned as it is.
std::string_view strip_brackets(std::string_view host);

// An IP literal: IPv4, IPv6, bracketed IPv6, IPv6 with a scope ("fe80::1%eth0"). nullopt otherwise.
std::optional<boost::asio::ip::address> parse_address(std::string_view host);

// An IP literal as it is, or a host name ("localhost") resolved to its first address. On failure
// returns nullopt and sets `error` to the reason ("not an IP address and it does not resolve").
std::optional<boost::asio::ip::address> resolve_address(std::string_view host, std::string& error);

// True for text made only of decimal digits (so a lone positional "9999" can be read as a port).
bool is_all_digits(std::string_view text);

std::string format_endpoint(const boost::asio::ip::address& address, std::uint16_t port);
std::string format_endpoint(const boost::asio::ip::tcp::endpoint& endpoint);

// The one-line wording for a bad port, used by both programs' option parsers.
std::string invalid_port_message(std::string_view text);

// parse_port, or a usage_error worded by invalid_port_message.
std::uint16_t parse_port_or_throw(std::string_view text);

// Applies positional HOST PORT arguments (both programs take them) over the --host and --port
// values. A lone all-digit argument is a port ("9999"); an empty one counts as given, so that an
// unset "$PORT" is an error rather than the default. Throws usage_error for too many arguments or
// for a value given both as a flag and as an argument.
void apply_host_port_arguments(const std::vector<std::string>& arguments, bool is_host_flag_given,
                               bool is_port_flag_given, std::string& host, std::string& port);

}  // namespace echo
