#pragma once
// -u -m, like `nc -u`: send each message as one datagram (as typed, no newline added), wait for
// one reply datagram and print it as a line (a newline added unless it ends with one), then the
// next message. No reply within --timeout: resend, up to --retries times, then give up with exit
// 5 and one line. A reply to an earlier attempt arriving late is taken as the reply: with an
// echo server the datagrams are identical anyway. Created by main; run() returns the exit code.

#include "client/client_options.hpp"
#include "client/udp_socket.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <optional>
#include <vector>

namespace echo {

class udp_one_shot {
 public:
  udp_one_shot(const client_options& options, const logger& log);
  exit_code run();

 private:
  void do_send();
  void on_sent(const boost::system::error_code& ec);
  void do_receive();
  void on_receive(const boost::system::error_code& ec, std::size_t n);
  void on_deadline(const boost::system::error_code& ec);
  void finish(const std::optional<failure>& outcome);

  const client_options& options_;
  const logger& log_;
  boost::asio::io_context context_{1};
  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer deadline_;
  udp_target target_;
  std::size_t next_message_ = 0;  // the message awaiting its reply is next_message_ - 1
  std::size_t attempts_ = 0;      // of the current message
  bool is_finished_ = false;
  std::optional<failure> failure_;
  std::vector<char> buffer_;  // one reply: the largest datagram, plus one byte to see it is cut
};

}  // namespace echo
