#pragma once
// Pipe mode, like `nc -N`: stdin to the server and the server to stdout, byte for byte, as two
// independent chains (stdin -> socket, socket -> stdout), each with one operation in flight so
// neither buffers more than one chunk. After stdin's EOF we half-close (unless --no-shutdown):
// shutdown(send) on TCP, a close_notify over TLS; run() returns once the server has closed (over
// TLS: its close_notify, or EOF) and all it sent is written; or, quietly and with 0, once the
// reader of stdout has closed it (`| head -1`). Created by main.

#include "client/client_options.hpp"
#include "client/connection.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <memory>
#include <optional>

namespace echo {

class pipe_mode {
 public:
  static constexpr std::size_t chunk_size = 64 * 1024;

  pipe_mode(const client_options& options, const logger& log);
  exit_code run();

 private:
  void on_connected(const std::optional<failure>& outcome);
  void do_read_input();
  void on_input(const boost::system::error_code& ec, std::size_t n);
  void on_sent(const boost::system::error_code& ec);
  void on_shutdown_sent(const boost::system::error_code& ec);
  void do_read_server();
  void on_server(const boost::system::error_code& ec, std::size_t n);
  void on_printed(const boost::system::error_code& ec);
  void arm_deadline();
  void finish(const std::optional<failure>& outcome);

  const client_options& options_;
  const logger& log_;
  descriptor_flags_guard stdin_flags_{0};
  descriptor_flags_guard stdout_flags_{1};
  boost::asio::io_context context_{1};
  std::unique_ptr<client_tls> tls_;  // nullptr without TLS; used by connection_
  connection connection_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::posix::stream_descriptor output_;
  boost::asio::steady_timer deadline_;
  bool is_input_done_ = false;
  bool is_sending_ = false;
  bool is_server_done_ = false;
  bool is_timed_out_ = false;
  bool is_finished_ = false;
  std::optional<failure> failure_;
  std::array<char, chunk_size> to_server_;
  std::array<char, chunk_size> from_server_;
};

}  // namespace echo
