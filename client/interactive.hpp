#pragma once
// Interactive mode, when stdin is a terminal: connect, show a "> " prompt, send each line typed,
// print what the server sends as it arrives (also when it speaks unprompted). `quit`, `exit`,
// Ctrl+D and Ctrl+C leave cleanly. Lines typed while a write is pending wait in a queue, so at
// most one write is in flight. Created by main; run() returns the exit code.

#include "client/client_options.hpp"
#include "client/connection.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace echo {

class interactive {
 public:
  interactive(const client_options& options, const logger& log);
  exit_code run();

 private:
  void on_connected(const std::optional<failure>& outcome);
  void do_read_line();
  void on_line(const boost::system::error_code& ec, std::size_t n);
  void do_write();
  void on_written(const boost::system::error_code& ec);
  void do_read_server();
  void on_server(const boost::system::error_code& ec, std::size_t n);
  void leave(std::string_view farewell);
  void finish(const std::optional<failure>& outcome);

  descriptor_flags_guard stdin_flags_{0};
  boost::asio::io_context context_{1};
  std::unique_ptr<client_tls> tls_;  // nullptr without TLS; used by connection_
  connection connection_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::signal_set signals_;
  std::string typed_;
  std::deque<std::string> outgoing_;
  bool is_finished_ = false;
  std::optional<failure> failure_;
  std::array<char, 16 * 1024> from_server_;
};

}  // namespace echo
