#include "server/events.hpp"

#include "common/endpoint.hpp"
#include "common/errors.hpp"
#include "common/escape.hpp"
#include "common/tls.hpp"

#include <cstdio>
#include <string>

namespace echo::events {

namespace {

constexpr std::size_t logged_message_max = 200;

std::string format_seconds(std::chrono::steady_clock::duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3fs", std::chrono::duration<double>(d).count());
  return text;
}

}  // namespace

void accepted(const logger& log, const endpoint& peer, std::uint64_t open) {
  if (!log.is_enabled(log_level::info)) return;
  const std::string who = format_endpoint(peer);
  log.event(log_level::info, "accepted", {{"peer", who}, {"open", open}},
            "connection from " + who + " (" + std::to_string(open) + " open)");
}

void closed(const logger& log, const endpoint& peer, std::chrono::steady_clock::duration lived,
            std::uint64_t bytes_in, std::uint64_t bytes_out, ending why,
            const boost::system::error_code& ec) {
  if (!log.is_enabled(log_level::info)) return;
  const std::string who = format_endpoint(peer);
  // A session destroyed without a close (none should be) has ending::error and no word.
  const std::string reason =
      why == ending::error && ec ? describe_ending(ec) : std::string(ending_word(why));
  log.event(log_level::info, "closed",
            {{"peer", who},
             {"bytes_in", bytes_in},
             {"bytes_out", bytes_out},
             {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(lived).count()},
             {"reason", reason}},
            "closed " + who + " after " + format_seconds(lived) + ": " + std::to_string(bytes_in) +
                " bytes in, " + std::to_string(bytes_out) + " bytes out (" + reason + ")");
}

void refused(const logger& log, std::string_view peer, refusal reason, std::string_view why,
             std::size_t held_back) {
  log.event(log_level::warning, "refused",
            {{"peer", peer},
             {"reason", refusal_names[static_cast<std::size_t>(reason)]},
             {"held_back", held_back}},
            "refused " + std::string(peer) + ": " + std::string(why) + held_back_note(held_back));
}

void refused_per_ip(const logger& log, const endpoint& peer, std::size_t limit) {
  if (!log.is_enabled(log_level::warning)) return;
  const std::string who = format_endpoint(peer);
  log.event(log_level::warning, "refused", {{"peer", who}, {"reason", "per_ip"}, {"limit", limit}},
            "refused " + who + ": " + std::to_string(limit) +
                " connections open from it (--max-connections-per-ip)");
}

void refused_max_handshakes(const logger& log, const endpoint& peer, std::size_t limit,
                            std::size_t held_back) {
  if (!log.is_enabled(log_level::warning)) return;
  const std::string who = format_endpoint(peer);
  log.event(
      log_level::warning, "refused",
      {{"peer", who}, {"reason", "max_handshakes"}, {"limit", limit}, {"held_back", held_back}},
      "refused " + who + ": " + std::to_string(limit) +
          " TLS handshakes in progress (--max-handshakes)" + held_back_note(held_back));
}

void proxy_header(const logger& log, const endpoint& client, const endpoint& proxy, int version) {
  if (!log.is_enabled(log_level::debug)) return;
  const std::string who = format_endpoint(client);
  const std::string via = format_endpoint(proxy);
  log.event(log_level::debug, "proxy_header", {{"peer", who}, {"proxy", via}, {"version", version}},
            "PROXY v" + std::to_string(version) + " header from " + via + ": the client is " + who);
}

void proxy_header_missing(const logger& log, const endpoint& peer,
                          const boost::system::error_code& ec) {
  if (!log.is_enabled(log_level::info)) return;
  const std::string who = format_endpoint(peer);
  const std::string why = describe_ending(ec);
  log.event(log_level::info, "proxy_header_missing", {{"peer", who}, {"error", why}},
            who + " closed before its PROXY header: " + why);
}

void proxy_header_error(const logger& log, const endpoint& peer, std::string_view error) {
  if (!log.is_enabled(log_level::warning)) return;
  const std::string who = format_endpoint(peer);
  log.event(log_level::warning, "proxy_header_error", {{"peer", who}, {"error", error}},
            who + ": " + std::string(error) + "; closing");
}

void proxy_header_bad_address(const logger& log, const endpoint& peer) {
  if (!log.is_enabled(log_level::warning)) return;
  const std::string who = format_endpoint(peer);
  log.event(log_level::warning, "proxy_header_error",
            {{"peer", who}, {"error", "bad source address"}},
            who + ": PROXY header with a bad source address; closing");
}

void tls(const logger& log, const endpoint& peer, std::string_view protocol,
         std::string_view client_certificate) {
  if (!log.is_enabled(log_level::info)) return;
  const std::string who = format_endpoint(peer);
  log.event(
      log_level::info, "tls",
      {{"peer", who}, {"protocol", protocol}, {"client_certificate", client_certificate}},
      "TLS " + std::string(protocol) + " with " + who +
          (client_certificate.empty() ? ""
                                      : ", client certificate " + std::string(client_certificate)));
}

void handshake_failed(const logger& log, const endpoint& peer,
                      const boost::system::error_code& ec) {
  if (!log.is_enabled(log_level::warning)) return;
  const std::string error = describe_tls_error(ec);
  const std::string who = format_endpoint(peer);
  log.event(log_level::warning, "handshake_failed", {{"peer", who}, {"error", error}},
            "TLS handshake with " + who + " failed: " + error);
}

void handshake_timeout(const logger& log, const endpoint& peer, bool is_proxy_header) {
  if (!log.is_enabled(log_level::warning)) return;
  const std::string who = format_endpoint(peer);
  log.event(log_level::warning, "handshake_timeout",
            {{"peer", who}, {"stage", is_proxy_header ? "proxy_header" : "tls"}},
            who +
                (is_proxy_header ? ": no complete PROXY header" : ": TLS handshake not finished") +
                " within the handshake timeout; closing");
}

void read_failed(const logger& log, const endpoint& peer, const boost::system::error_code& ec) {
  if (is_normal_ending(ec) || !log.is_enabled(log_level::warning)) return;
  const std::string who = format_endpoint(peer);
  log.event(log_level::warning, "read_failed", {{"peer", who}, {"error", lower_message(ec)}},
            "read from " + who + ": " + lower_message(ec));
}

void write_failed(const logger& log, const endpoint& peer, const boost::system::error_code& ec) {
  if (is_normal_ending(ec) || !log.is_enabled(log_level::warning)) return;
  const std::string who = format_endpoint(peer);
  log.event(log_level::warning, "write_failed", {{"peer", who}, {"error", lower_message(ec)}},
            "write to " + who + ": " + lower_message(ec));
}

void line_too_long(const logger& log, const endpoint& peer, std::size_t max_line) {
  if (!log.is_enabled(log_level::warning)) return;
  const std::string who = format_endpoint(peer);
  log.event(log_level::warning, "line_too_long", {{"peer", who}, {"max_line", max_line}},
            who + " sent a line longer than " + std::to_string(max_line) + " bytes; closing");
}

void message(const logger& log, const endpoint& peer, std::string_view text) {
  if (!log.is_enabled(log_level::debug)) return;
  const std::string who = format_endpoint(peer);
  const std::string shown = shorten(text, logged_message_max);
  log.event(log_level::debug, "message", {{"peer", who}, {"bytes", text.size()}, {"text", shown}},
            "Received from " + who + ": " + escape_for_log(shown));
}

void datagram(const logger& log, std::string_view source, std::string_view text) {
  if (!log.is_enabled(log_level::debug)) return;
  const std::string shown = shorten(text, logged_message_max);
  log.event(log_level::debug, "message",
            {{"peer", source}, {"protocol", "udp"}, {"bytes", text.size()}, {"text", shown}},
            "Received from " + std::string(source) + " (udp): " + escape_for_log(shown));
}

}  // namespace echo::events
