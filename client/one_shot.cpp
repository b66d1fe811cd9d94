#include "client/one_shot.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstdio>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

one_shot::one_shot(const client_options& options, const logger& log)
    : options_(options),
      log_(log),
      tls_(client_tls::from_options(options)),
      connection_(context_, options, log, tls_.get()),
      deadline_(context_),
      replies_(max_reply) {}

exit_code one_shot::run() {
  connection_.async_connect([this](const std::optional<failure>& f) { on_connected(f); });
  context_.run();
  return failure_ ? report(*failure_) : exit_code::ok;
}

void one_shot::on_connected(const std::optional<failure>& outcome) {
  if (outcome) return finish(outcome);
  do_send();
}

// Messages go one at a time, each after the previous reply: with --once servers the second
// message must find out the connection is gone, not race the first reply.
void one_shot::do_send() {
  if (next_message_ == options_.messages.size()) return say_goodbye();
  if (is_server_closed_) {
    return finish(transfer_failure(asio::error::eof, connection_.peer()));
  }
  outgoing_ = options_.messages[next_message_++] + "\n";
  lines_sent_ += static_cast<std::size_t>(std::count(outgoing_.begin(), outgoing_.end(), '\n'));
  log_.debug("sending " + std::to_string(outgoing_.size()) + " bytes");
  asio::async_write(connection_.stream(), asio::buffer(outgoing_),
                    [this](const error_code& ec, std::size_t) { on_sent(ec); });
}

void one_shot::on_sent(const error_code& ec) {
  if (ec) return finish(transfer_failure(ec, connection_.peer()));
  deadline_.expires_after(options_.timeout);
  deadline_.async_wait([this](const error_code& wait_ec) {
    // Ignore a cancelled wait, and one that fired while a reply re-armed it.
    if (wait_ec || deadline_.expiry() > std::chrono::steady_clock::now()) return;
    is_timed_out_ = true;
    connection_.close();
  });
  do_read();
}

void one_shot::do_read() {
  connection_.stream().async_read_some(
      asio::buffer(buffer_), [this](const error_code& ec, std::size_t n) { on_read(ec, n); });
}

void one_shot::on_read(const error_code& ec, std::size_t n) {
  if (is_timed_out_) {
    return finish(
        timeout_failure("waiting for a reply from", connection_.peer(), options_.timeout));
  }
  if (ec == asio::error::eof) {
    // The server closed: whatever it sent of this reply is the reply (ack --once sends "ACK!").
    is_server_closed_ = true;
    bool is_extra = false;
    replies_.take_partial([&](const line& l) { is_extra = !take_reply(l.content); });
    if (is_extra) return finish(extra_data_failure());
    if (is_reply_owed()) return finish(transfer_failure(ec, connection_.peer()));
    deadline_.cancel();
    return do_send();
  }
  if (ec) return finish(transfer_failure(ec, connection_.peer()));
  const auto status = replies_.feed(std::string_view(buffer_.data(), n),
                                    [this](const line& l) { return take_reply(l.content); });
  if (status == line_splitter::status::stopped) return finish(extra_data_failure());
  if (status == line_splitter::status::too_long) {
    return finish(failure{exit_code::failure, "reply from " + connection_.peer() +
                                                  " is longer than " + std::to_string(max_reply) +
                                                  " bytes"});
  }
  if (is_reply_owed()) return do_read();
  // Every reply is in, yet bytes of another line came with the last one.
  if (replies_.has_partial()) return finish(extra_data_failure());
  deadline_.cancel();
  do_send();
}

// Every reply is in. Over TLS, a close_notify first tells the server we end on purpose (it sees
// a clean end rather than a truncated stream); plain TCP just closes.
void one_shot::say_goodbye() {
  if (!connection_.stream().is_tls() || is_server_closed_) return finish(std::nullopt);
  connection_.stream().async_shutdown_send([this](const error_code& ec) {
    if (ec) log_.debug("close_notify not sent: " + lower_message(ec));
    finish(std::nullopt);
  });
}

// Prints `reply` if one is owed; false (nothing printed) if it is extra.
bool one_shot::take_reply(std::string_view reply) {
  if (!is_reply_owed()) return false;
  print_reply(reply);
  return true;
}

failure one_shot::extra_data_failure() const {
  return failure{exit_code::failure, connection_.peer() + " sent more than the reply to message " +
                                         std::to_string(next_message_)};
}

void one_shot::print_reply(std::string_view reply) {
  ++replies_received_;
  std::fwrite(reply.data(), 1, reply.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// The first outcome counts; closing makes the pending operations complete with errors that
// would otherwise be taken for failures.
void one_shot::finish(const std::optional<failure>& outcome) {
  if (is_finished_) return;
  is_finished_ = true;
  failure_ = outcome;
  deadline_.cancel();
  connection_.close();
}

}  // namespace echo
