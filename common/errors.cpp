#include "common/errors.hpp"

#include "common/escape.hpp"
#include "common/log.hpp"
#include "common/tls.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <cctype>
#include <cstdio>

namespace echo {

namespace asio_error = boost::asio::error;

std::string format_usage_error(std::string_view program, std::string_view what) {
  const std::string name(program);
  return name + ": " + escape_for_log(what) + " (try '" + name + " --help')\n";
}

bool is_normal_ending(const boost::system::error_code& ec) {
  return ec == asio_error::eof || ec == asio_error::connection_reset ||
         ec == asio_error::broken_pipe || ec == asio_error::operation_aborted ||
         ec == asio_error::connection_aborted || ec == asio_error::not_connected ||
         ec == asio_error::shut_down || ec == asio_error::timed_out;
}

std::string lower_message(const boost::system::error_code& ec) {
  std::string text = ec.message();
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

std::string describe_ending(const boost::system::error_code& ec) {
  if (ec == asio_error::eof) return "eof";
  if (ec == asio_error::connection_reset) return "reset by peer";
  if (ec == asio_error::broken_pipe) return "peer stopped reading";
  if (ec == asio_error::timed_out) return "timed out";
  return lower_message(ec);
}

failure resolve_failure(const boost::system::error_code& ec, std::string_view host) {
  const std::string why = ec == asio_error::host_not_found ||
                                  ec == asio_error::host_not_found_try_again ||
                                  ec == asio_error::no_data
                              ? "host not found"
                              : lower_message(ec);
  return {exit_code::host_not_found, "cannot resolve host '" + escape_for_log(host) + "': " + why};
}

failure connect_failure(const boost::system::error_code& ec, std::string_view where) {
  const std::string prefix = "cannot connect to " + escape_for_log(where) + ": ";
  if (ec == asio_error::connection_refused) {
    return {exit_code::connection_refused, prefix + "connection refused (is the server running?)"};
  }
  if (ec == asio_error::timed_out) return {exit_code::timed_out, prefix + "timed out"};
  return {exit_code::failure, prefix + lower_message(ec)};
}

failure transfer_failure(const boost::system::error_code& ec, std::string_view where) {
  const std::string peer = escape_for_log(where);
  if (ec == asio_error::connection_reset || ec == asio_error::broken_pipe) {
    return {exit_code::connection_reset, "connection to " + peer + " reset by the server"};
  }
  if (ec == asio_error::eof) {
    return {exit_code::failure, peer + " closed the connection before replying"};
  }
  // A TLS 1.3 server checks a client certificate after our side of the handshake has finished,
  // so its refusal arrives as an alert on the first read ("tlsv13 alert certificate required").
  if (ec.category() == asio_error::get_ssl_category()) {
    return {exit_code::tls_failed,
            "TLS connection to " + peer + " failed: " + describe_tls_error(ec)};
  }
  return {exit_code::failure, "connection to " + peer + ": " + lower_message(ec)};
}

failure tls_failure(std::string_view where, std::string_view reason) {
  return {exit_code::tls_failed,
          "TLS handshake with " + escape_for_log(where) + " failed: " + escape_for_log(reason)};
}

failure timeout_failure(std::string_view what, std::string_view where,
                        std::chrono::milliseconds timeout) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", std::chrono::duration<double>(timeout).count());
  return {exit_code::timed_out, "timed out after " + std::string(seconds) + "s " +
                                    std::string(what) + " " + escape_for_log(where)};
}

std::string describe_listen_error(const boost::system::error_code& ec, std::string_view endpoint) {
  const std::string where(endpoint);
  if (ec == asio_error::address_in_use) return "address " + where + " already in use";
  if (ec == asio_error::access_denied || ec == boost::system::errc::operation_not_permitted) {
    return "permission denied to listen on " + where +
           " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  }
  if (ec == boost::system::errc::address_not_available) {
    return "cannot listen on " + where + ": no such address on this machine";
  }
  if (ec == asio_error::address_family_not_supported) {
    return "cannot listen on " + where + ": address family not supported (is IPv6 disabled?)";
  }
  return "cannot listen on " + where + ": " + lower_message(ec);
}

}  // namespace echo
