#pragma once
// One client connection: resolve the host, connect, and with TLS the handshake, all within
// --timeout, with the one-line failure wording from common/errors. Every client mode creates one
// (the self-test creates many) on its own io_context and then reads and writes through stream()
// (plain TCP or TLS, see client_stream). Also home to the few helpers all modes share: reporting
// a failure, and restoring stdin/stdout's blocking mode on exit.

#include "client/client_options.hpp"
#include "client/client_stream.hpp"
#include "client/client_tls.hpp"
#include "common/errors.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace echo {

class connection {
 public:
  // Called once: with nullopt when connected (and, with TLS, the handshake done), or with the
  // failure (refused, host not found, timed out, TLS handshake failed, ...).
  using connect_handler = std::function<void(const std::optional<failure>&)>;

  // tls: nullptr for plain TCP, else the mode's client_tls, which must outlive the connection.
  // source_index: which of --source's addresses to bind to (round-robin), when there are some.
  connection(boost::asio::io_context& context, const client_options& options, const logger& log,
             client_tls* tls, std::size_t source_index = 0);

  void async_connect(connect_handler on_done);

  client_stream& stream() { return stream_; }
  boost::asio::ip::tcp::socket& socket() { return stream_.socket(); }
  // "127.0.0.1:8888": the connected endpoint, or the host and port as given before that.
  const std::string& peer() const { return peer_; }
  void close();

 private:
  void on_resolve(const boost::system::error_code& ec,
                  const boost::asio::ip::tcp::resolver::results_type& results);
  void do_connect();
  void on_connect(const boost::system::error_code& ec);
  void on_handshake(const boost::system::error_code& ec);
  void complete(const std::optional<failure>& outcome);

  const client_options& options_;
  const logger& log_;
  boost::asio::ip::tcp::resolver resolver_;
  client_stream stream_;
  boost::asio::steady_timer deadline_;
  std::string peer_;
  std::size_t source_index_;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints_;  // resolved, of the sources' family
  std::size_t next_endpoint_ = 0;
  connect_handler on_done_;
  bool is_timed_out_ = false;
  bool is_complete_ = false;  // the deadline may fire after completion, with its wait queued
};

// Writes "echo-client: MESSAGE" on stderr and returns the failure's exit code.
exit_code report(const failure& f);

// Asio puts the descriptors it drives in non-blocking mode, and stdin and stdout share that mode
// with the shell that started us; this puts the original flags back when it goes out of scope.
class descriptor_flags_guard {
 public:
  explicit descriptor_flags_guard(int fd);
  ~descriptor_flags_guard();
  descriptor_flags_guard(const descriptor_flags_guard&) = delete;
  descriptor_flags_guard& operator=(const descriptor_flags_guard&) = delete;

 private:
  int fd_;
  int flags_;
};

}  // namespace echo
