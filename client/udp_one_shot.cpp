#include "client/udp_one_shot.hpp"

#include "client/connection.hpp"

#include <boost/asio/buffer.hpp>

#include <cstdio>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

udp_one_shot::udp_one_shot(const client_options& options, const logger& log)
    : options_(options),
      log_(log),
      socket_(context_),
      deadline_(context_),
      buffer_(max_udp_payload_v6 + 1) {}

exit_code udp_one_shot::run() {
  auto resolved = resolve_udp(options_);
  if (auto* f = std::get_if<failure>(&resolved)) return report(*f);
  target_ = std::get<udp_target>(resolved);
  for (const std::string& message : options_.messages) {
    if (message.size() > target_.max_payload()) {
      return report({exit_code::usage, "message of " + std::to_string(message.size()) +
                                           " bytes is over the largest UDP datagram (" +
                                           std::to_string(target_.max_payload()) + " bytes)"});
    }
  }
  if (auto f = connect_udp(socket_, target_, options_.sources)) return report(*f);
  do_send();
  do_receive();
  context_.run();
  return failure_ ? report(*failure_) : exit_code::ok;
}

void udp_one_shot::do_send() {
  if (next_message_ == options_.messages.size()) return finish(std::nullopt);
  const std::string& message = options_.messages[next_message_++];
  attempts_ = 1;
  log_.debug("sending a datagram of " + std::to_string(message.size()) + " bytes");
  socket_.async_send(asio::buffer(message),
                     [this](const error_code& ec, std::size_t) { on_sent(ec); });
}

void udp_one_shot::on_sent(const error_code& ec) {
  if (is_finished_) return;
  if (ec) return finish(udp_failure(ec, target_.peer));
  deadline_.expires_after(options_.timeout);
  deadline_.async_wait([this](const error_code& wait_ec) { on_deadline(wait_ec); });
}

// No reply in time: resend the same datagram while retries remain.
void udp_one_shot::on_deadline(const error_code& ec) {
  // Ignore a cancelled wait, and one that fired while a reply re-armed it.
  if (ec || is_finished_ || deadline_.expiry() > std::chrono::steady_clock::now()) return;
  if (attempts_ > options_.retries) {
    return finish(timeout_failure("waiting for a reply from", target_.peer, options_.timeout));
  }
  ++attempts_;
  log_.debug("no reply: resending, attempt " + std::to_string(attempts_));
  socket_.async_send(asio::buffer(options_.messages[next_message_ - 1]),
                     [this](const error_code& send_ec, std::size_t) { on_sent(send_ec); });
}

void udp_one_shot::do_receive() {
  socket_.async_receive(asio::buffer(buffer_),
                        [this](const error_code& ec, std::size_t n) { on_receive(ec, n); });
}

void udp_one_shot::on_receive(const error_code& ec, std::size_t n) {
  if (is_finished_) return;
  if (ec) return finish(udp_failure(ec, target_.peer));
  deadline_.cancel();
  std::fwrite(buffer_.data(), 1, n, stdout);
  if (n == 0 || buffer_[n - 1] != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
  do_receive();
  do_send();
}

// The first outcome counts; closing completes the pending receive with operation_aborted.
void udp_one_shot::finish(const std::optional<failure>& outcome) {
  if (is_finished_) return;
  is_finished_ = true;
  failure_ = outcome;
  deadline_.cancel();
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace echo
