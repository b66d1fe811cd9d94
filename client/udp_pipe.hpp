#pragma once
// -u without -m: pipe mode (stdin not a terminal) and interactive mode (a terminal, with a "> "
// prompt; quit, exit or Ctrl+D leave). Each line of stdin, without its "\n", is one datagram; an
// unterminated last line is one too. Each reply datagram is printed as a line (a newline added
// unless it ends with one) in arrival order. Two chains as in TCP's pipe mode: stdin -> socket
// (read a chunk, send its lines one datagram at a time, read on) and socket -> stdout. After
// stdin's end, pipe mode waits until as many replies as datagrams have come, each wait bounded
// by --timeout (exit 5 and one line when one is missing); interactive mode just leaves.
// Created by main; run() returns the exit code.

#include "client/client_options.hpp"
#include "client/connection.hpp"
#include "client/udp_socket.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace echo {

class udp_pipe {
 public:
  static constexpr std::size_t chunk_size = 64 * 1024;

  udp_pipe(const client_options& options, const logger& log, bool is_interactive);
  exit_code run();

 private:
  void do_read_input();
  void on_input(const boost::system::error_code& ec, std::size_t n);
  void send_next_line();
  void on_sent(const boost::system::error_code& ec);
  void end_of_input();
  void do_receive();
  void on_receive(const boost::system::error_code& ec, std::size_t n);
  void arm_deadline();
  void print(std::string_view text);
  void leave(std::string_view farewell);
  void finish(const std::optional<failure>& outcome);

  const client_options& options_;
  const logger& log_;
  bool is_interactive_;
  descriptor_flags_guard stdin_flags_{0};
  boost::asio::io_context context_{1};
  boost::asio::ip::udp::socket socket_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::steady_timer deadline_;
  boost::asio::signal_set signals_;
  udp_target target_;
  std::string line_;            // the line being gathered, at most max_payload bytes
  std::size_t chunk_used_ = 0;  // how much of the last stdin chunk has been split into lines
  std::size_t chunk_length_ = 0;
  bool is_line_complete_ = false;
  bool is_input_done_ = false;
  std::uint64_t lines_sent_ = 0;
  std::uint64_t replies_ = 0;
  bool is_finished_ = false;
  std::optional<failure> failure_;
  std::array<char, chunk_size> chunk_;
  std::vector<char> reply_;
};

}  // namespace echo
