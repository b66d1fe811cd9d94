#pragma once
// Every log event of a connection, worded once: each function writes one event, its text and its
// JSON fields from the same arguments, so the two forms cannot drift apart. Called by the session
// (and the server, for refusals) on the reactor's thread; each checks the level before it formats
// anything, so a disabled event costs a comparison.

#include "common/log.hpp"
#include "server/stats.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace echo::events {

using endpoint = boost::asio::ip::tcp::endpoint;

void accepted(const logger& log, const endpoint& peer, std::uint64_t open);
// The one line at a connection's end; `ec` words ending::error (see ending_word).
void closed(const logger& log, const endpoint& peer, std::chrono::steady_clock::duration lived,
            std::uint64_t bytes_in, std::uint64_t bytes_out, ending why,
            const boost::system::error_code& ec);

// Refusals. `why` completes "refused PEER: " ("3 connections open from it (...)").
void refused(const logger& log, std::string_view peer, refusal reason, std::string_view why,
             std::size_t held_back);
// Behind a PROXY header, over --max-connections-per-ip (never throttled).
void refused_per_ip(const logger& log, const endpoint& peer, std::size_t limit);
void refused_max_handshakes(const logger& log, const endpoint& peer, std::size_t limit,
                            std::size_t held_back);

void proxy_header(const logger& log, const endpoint& client, const endpoint& proxy, int version);
void proxy_header_missing(const logger& log, const endpoint& peer,
                          const boost::system::error_code& ec);
// `error`: the parser's reason; the line ends "; closing".
void proxy_header_error(const logger& log, const endpoint& peer, std::string_view error);
void proxy_header_bad_address(const logger& log, const endpoint& peer);

void tls(const logger& log, const endpoint& peer, std::string_view protocol,
         std::string_view client_certificate);
void handshake_failed(const logger& log, const endpoint& peer, const boost::system::error_code& ec);
// `is_proxy_header`: the PROXY header was not complete yet (else the TLS handshake was not).
void handshake_timeout(const logger& log, const endpoint& peer, bool is_proxy_header);

// A read or write that failed other than in a normal ending (at debug level: none is written).
void read_failed(const logger& log, const endpoint& peer, const boost::system::error_code& ec);
void write_failed(const logger& log, const endpoint& peer, const boost::system::error_code& ec);
void line_too_long(const logger& log, const endpoint& peer, std::size_t max_line);
// A client's message, at debug level, cut to its first 200 bytes.
void message(const logger& log, const endpoint& peer, std::string_view text);
// A UDP datagram, at debug level, cut the same way; `source` as format_endpoint writes it.
void datagram(const logger& log, std::string_view source, std::string_view text);

}  // namespace echo::events
