#include "client/udp_pipe.hpp"

#include <unistd.h>

#include <boost/asio/buffer.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::string_view prompt = "> ";

}  // namespace

// dup() so that closing the descriptor at the end leaves the process's own stdin alone.
udp_pipe::udp_pipe(const client_options& options, const logger& log, bool is_interactive)
    : options_(options),
      log_(log),
      is_interactive_(is_interactive),
      socket_(context_),
      input_(context_, ::dup(STDIN_FILENO)),
      deadline_(context_),
      signals_(context_),
      reply_(max_udp_payload_v6 + 1) {}

exit_code udp_pipe::run() {
  auto resolved = resolve_udp(options_);
  if (auto* f = std::get_if<failure>(&resolved)) return report(*f);
  target_ = std::get<udp_target>(resolved);
  if (auto f = connect_udp(socket_, target_, options_.sources)) return report(*f);
  if (is_interactive_) {
    error_code ignored;
    signals_.add(SIGINT, ignored);
    signals_.add(SIGTERM, ignored);
    signals_.async_wait([this](const error_code& ec, int) {
      if (!ec) leave("\nDisconnected.\n");
    });
    print("Sending datagrams to " + target_.peer +
          " (UDP). Type a line to send it; quit, exit or Ctrl+D to leave.\n");
    print(prompt);
  }
  do_read_input();
  do_receive();
  context_.run();
  return failure_ ? report(*failure_) : exit_code::ok;
}

void udp_pipe::do_read_input() {
  input_.async_read_some(asio::buffer(chunk_),
                         [this](const error_code& ec, std::size_t n) { on_input(ec, n); });
}

void udp_pipe::on_input(const error_code& ec, std::size_t n) {
  if (is_finished_) return;
  if (ec == asio::error::eof) return end_of_input();
  if (ec) return finish(failure{exit_code::failure, "cannot read stdin: " + lower_message(ec)});
  chunk_used_ = 0;
  chunk_length_ = n;
  send_next_line();
}

// Takes the chunk's next line into line_ and sends it; once the chunk is used up, reads on. One
// datagram in flight at a time, so memory stays one chunk and one line.
void udp_pipe::send_next_line() {
  while (chunk_used_ < chunk_length_) {
    const char* from = chunk_.data() + chunk_used_;
    const std::size_t left = chunk_length_ - chunk_used_;
    const auto* newline = static_cast<const char*>(std::memchr(from, '\n', left));
    const std::size_t take = newline ? static_cast<std::size_t>(newline - from) : left;
    if (line_.size() + take > target_.max_payload()) {
      return finish(
          failure{exit_code::failure, "line " + std::to_string(lines_sent_ + 1) +
                                          " of stdin is longer than the largest UDP datagram (" +
                                          std::to_string(target_.max_payload()) + " bytes)"});
    }
    line_.append(from, take);
    chunk_used_ += take + (newline ? 1 : 0);
    if (!newline) break;
    if (is_interactive_) {
      const std::string_view command(line_);
      if (command == "quit" || command == "exit") return leave("Disconnected.\n");
    }
    ++lines_sent_;
    socket_.async_send(asio::buffer(line_),
                       [this](const error_code& send_ec, std::size_t) { on_sent(send_ec); });
    return;
  }
  do_read_input();
}

void udp_pipe::on_sent(const error_code& ec) {
  if (is_finished_) return;
  if (ec) return finish(udp_failure(ec, target_.peer));
  line_.clear();
  if (is_input_done_) return arm_deadline();
  send_next_line();
}

void udp_pipe::end_of_input() {
  log_.debug("end of input");
  if (is_interactive_) return leave("\nDisconnected.\n");  // Ctrl+D
  is_input_done_ = true;
  if (!line_.empty()) {
    // The last line had no newline: it is a datagram all the same.
    ++lines_sent_;
    socket_.async_send(asio::buffer(line_),
                       [this](const error_code& send_ec, std::size_t) { on_sent(send_ec); });
    return;
  }
  if (replies_ >= lines_sent_) return finish(std::nullopt);
  arm_deadline();
}

void udp_pipe::do_receive() {
  socket_.async_receive(asio::buffer(reply_),
                        [this](const error_code& ec, std::size_t n) { on_receive(ec, n); });
}

void udp_pipe::on_receive(const error_code& ec, std::size_t n) {
  if (is_finished_) return;
  if (ec) return finish(udp_failure(ec, target_.peer));
  ++replies_;
  std::string_view text(reply_.data(), n);
  if (is_interactive_) print("\r\033[K");  // wipes the prompt, so the reply starts at the margin
  print(text);
  if (n == 0 || text.back() != '\n') print("\n");
  if (is_interactive_) print(prompt);
  if (is_input_done_ && line_.empty() && replies_ >= lines_sent_) return finish(std::nullopt);
  if (is_input_done_) arm_deadline();
  do_receive();
}

// After stdin's end: each wait for a reply still owed is bounded. A wait that fires while a newer
// expiry is set was overtaken by a re-arm and is ignored.
void udp_pipe::arm_deadline() {
  deadline_.expires_after(options_.timeout);
  deadline_.async_wait([this](const error_code& ec) {
    if (ec || is_finished_ || deadline_.expiry() > std::chrono::steady_clock::now()) return;
    const std::uint64_t missing = lines_sent_ - replies_;
    finish(timeout_failure("waiting for " + std::to_string(missing) + " of " +
                               std::to_string(lines_sent_) + " replies from",
                           target_.peer, options_.timeout));
  });
}

void udp_pipe::print(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void udp_pipe::leave(std::string_view farewell) {
  if (is_finished_) return;
  print(farewell);
  finish(std::nullopt);
}

void udp_pipe::finish(const std::optional<failure>& outcome) {
  if (is_finished_) return;
  is_finished_ = true;
  failure_ = outcome;
  error_code ignored;
  deadline_.cancel();
  socket_.close(ignored);
  input_.close(ignored);
  signals_.cancel(ignored);
}

}  // namespace echo
