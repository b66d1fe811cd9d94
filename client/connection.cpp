#include "client/connection.hpp"

#include "common/endpoint.hpp"
#include "common/tls.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace echo {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string where_of(const client_options& options) {
  if (const auto address = parse_address(options.host)) {
    return format_endpoint(*address, options.port);
  }
  return options.host + ":" + std::to_string(options.port);
}

}  // namespace

connection::connection(asio::io_context& context, const client_options& options, const logger& log,
                       client_tls* tls, std::size_t source_index)
    : options_(options),
      log_(log),
      resolver_(context),
      stream_(context, tls, &log),
      deadline_(context),
      peer_(where_of(options)),
      source_index_(source_index) {}

void connection::async_connect(connect_handler on_done) {
  on_done_ = std::move(on_done);
  deadline_.expires_after(options_.timeout);
  deadline_.async_wait([this](const error_code& ec) {
    if (ec || is_complete_) return;  // the connection completed first
    is_timed_out_ = true;
    resolver_.cancel();
    close();
  });
  log_.debug("resolving " + options_.host);
  resolver_.async_resolve(std::string(strip_brackets(options_.host)), std::to_string(options_.port),
                          [this](const error_code& ec, const tcp::resolver::results_type& results) {
                            on_resolve(ec, results);
                          });
}

void connection::on_resolve(const error_code& ec, const tcp::resolver::results_type& results) {
  if (is_timed_out_) {
    return complete(timeout_failure("connecting to", peer_, options_.timeout));
  }
  if (ec) return complete(resolve_failure(ec, options_.host));
  const source_addresses& sources = options_.sources;
  for (const auto& entry : results) {
    if (sources.empty() || entry.endpoint().address().is_v6() == sources.is_v6()) {
      endpoints_.push_back(entry.endpoint());
    }
  }
  if (endpoints_.empty()) return complete(source_family_failure(sources, options_.host));
  log_.debug("connecting to " + peer_ + " (" + std::to_string(endpoints_.size()) + " address" +
             (endpoints_.size() == 1 ? ")" : "es)"));
  do_connect();
}

// As asio::async_connect over a range does (each address in turn until one answers, the last
// error otherwise), with the bind to the source address between opening and connecting, which
// the range version cannot take: it closes and reopens the socket for each address.
void connection::do_connect() {
  const tcp::endpoint endpoint = endpoints_[next_endpoint_++];
  error_code ignored;
  socket().close(ignored);
  if (!options_.sources.empty()) {
    const asio::ip::address source = options_.sources.at(source_index_);
    if (const error_code ec = bind_source(socket(), source)) {
      return complete(source_failure(ec, format_endpoint(endpoint), source));
    }
    log_.debug("bound to " + source.to_string());
  }
  socket().async_connect(endpoint, [this](const error_code& ec) { on_connect(ec); });
}

void connection::on_connect(const error_code& ec) {
  if (is_timed_out_) {
    return complete(timeout_failure("connecting to", peer_, options_.timeout));
  }
  if (ec && next_endpoint_ < endpoints_.size()) return do_connect();
  if (ec) return complete(connect_failure(ec, peer_));
  error_code ignored;
  const tcp::endpoint remote = socket().remote_endpoint(ignored);
  if (!ignored) peer_ = format_endpoint(remote);
  socket().set_option(tcp::no_delay(true), ignored);
  log_.debug("connected to " + peer_);
  if (!stream_.is_tls()) return complete(std::nullopt);
  // The same deadline bounds the handshake: a server that never answers (or a plaintext one
  // that waits for a line) ends it.
  stream_.async_handshake([this](const error_code& handshake_ec) { on_handshake(handshake_ec); });
}

void connection::on_handshake(const error_code& ec) {
  if (is_timed_out_) {
    return complete(timeout_failure("in the TLS handshake with", peer_, options_.timeout));
  }
  if (ec) {
    return complete(tls_failure(peer_, describe_handshake_error(ec, stream_.native_handle())));
  }
  log_.debug("TLS handshake done with " + peer_);
  complete(std::nullopt);
}

void connection::complete(const std::optional<failure>& outcome) {
  is_complete_ = true;
  deadline_.cancel();
  on_done_(outcome);
}

void connection::close() { stream_.close(); }

exit_code report(const failure& f) {
  const std::string line = "echo-client: " + f.message + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  return f.code;
}

descriptor_flags_guard::descriptor_flags_guard(int fd) : fd_(fd), flags_(::fcntl(fd, F_GETFL)) {}

descriptor_flags_guard::~descriptor_flags_guard() {
  if (flags_ != -1) ::fcntl(fd_, F_SETFL, flags_);
}

}  // namespace echo
