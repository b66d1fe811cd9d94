#pragma once
// -m mode, the seeds' one-shot client: send each message as a line, wait for its reply, print the
// reply alone on stdout. A reply ends at its newline, or when the server closes (as
// `echo-server --reply ack --once` does). A message holding newlines is several lines, each owed
// a reply. Reply data beyond what the lines sent so far are owed (a server that answers twice)
// is a failure: we send the next message only once every reply is in, so it cannot be early.
// Created by main; run() returns the exit code.

#include "client/client_options.hpp"
#include "client/connection.hpp"
#include "common/framing.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <memory>
#include <optional>
#include <string>

namespace echo {

class one_shot {
 public:
  // Longest reply line we hold; a longer one is reported rather than buffered without end.
  static constexpr std::size_t max_reply = 64 * 1024 * 1024;

  one_shot(const client_options& options, const logger& log);
  exit_code run();

 private:
  void on_connected(const std::optional<failure>& outcome);
  void do_send();
  void on_sent(const boost::system::error_code& ec);
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  bool take_reply(std::string_view reply);
  void print_reply(std::string_view reply);
  void say_goodbye();
  bool is_reply_owed() const { return replies_received_ < lines_sent_; }
  failure extra_data_failure() const;
  void finish(const std::optional<failure>& outcome);

  const client_options& options_;
  const logger& log_;
  boost::asio::io_context context_{1};
  std::unique_ptr<client_tls> tls_;  // nullptr without TLS; used by connection_
  connection connection_;
  boost::asio::steady_timer deadline_;
  line_splitter replies_;
  std::size_t next_message_ = 0;
  std::size_t lines_sent_ = 0;
  std::size_t replies_received_ = 0;
  bool is_server_closed_ = false;
  bool is_timed_out_ = false;
  bool is_finished_ = false;
  std::string outgoing_;
  std::optional<failure> failure_;
  std::array<char, 16 * 1024> buffer_;
};

}  // namespace echo
