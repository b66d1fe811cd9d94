#include "client/interactive.hpp"

#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <csignal>
#include <cstdio>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::string_view prompt = "> ";

void print(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

interactive::interactive(const client_options& options, const logger& log)
    : tls_(client_tls::from_options(options)),
      connection_(context_, options, log, tls_.get()),
      input_(context_, ::dup(STDIN_FILENO)),
      signals_(context_, SIGINT, SIGTERM) {}

exit_code interactive::run() {
  signals_.async_wait([this](const error_code& ec, int) {
    if (!ec) leave("\nDisconnected.\n");
  });
  connection_.async_connect([this](const std::optional<failure>& f) { on_connected(f); });
  context_.run();
  return failure_ ? report(*failure_) : exit_code::ok;
}

void interactive::on_connected(const std::optional<failure>& outcome) {
  if (outcome) return finish(outcome);
  print("Connected to " + connection_.peer() +
        ". Type a line to send it; quit, exit or Ctrl+D to leave.\n");
  print(prompt);
  do_read_line();
  do_read_server();
}

// The terminal is in canonical mode, so it hands us whole lines and does the echoing itself.
void interactive::do_read_line() {
  asio::async_read_until(input_, asio::dynamic_buffer(typed_), '\n',
                         [this](const error_code& ec, std::size_t n) { on_line(ec, n); });
}

void interactive::on_line(const error_code& ec, std::size_t n) {
  if (is_finished_) return;
  if (ec == asio::error::eof) return leave("\nDisconnected.\n");  // Ctrl+D
  if (ec) return finish(failure{exit_code::failure, "cannot read stdin: " + lower_message(ec)});
  std::string line = typed_.substr(0, n);
  typed_.erase(0, n);
  const std::string_view command = trimmed(std::string_view(line).substr(0, n - 1));
  if (command == "quit" || command == "exit") return leave("Disconnected.\n");
  outgoing_.push_back(std::move(line));
  if (outgoing_.size() == 1) do_write();
  do_read_line();
}

void interactive::do_write() {
  asio::async_write(connection_.stream(), asio::buffer(outgoing_.front()),
                    [this](const error_code& ec, std::size_t) { on_written(ec); });
}

void interactive::on_written(const error_code& ec) {
  if (is_finished_) return;
  if (ec) return finish(transfer_failure(ec, connection_.peer()));
  outgoing_.pop_front();
  if (!outgoing_.empty()) do_write();
}

void interactive::do_read_server() {
  connection_.stream().async_read_some(
      asio::buffer(from_server_),
      [this](const error_code& ec, std::size_t n) { on_server(ec, n); });
}

void interactive::on_server(const error_code& ec, std::size_t n) {
  if (is_finished_) return;
  if (ec == asio::error::eof) return leave("\nConnection closed by the server.\n");
  if (ec) return finish(transfer_failure(ec, connection_.peer()));
  // "\r\033[K" wipes the prompt we last drew, so a reply starts at the left margin.
  print("\r\033[K");
  const std::string_view text(from_server_.data(), n);
  print(text);
  if (text.back() == '\n') print(prompt);
  do_read_server();
}

void interactive::leave(std::string_view farewell) {
  if (is_finished_) return;
  print(farewell);
  finish(std::nullopt);
}

void interactive::finish(const std::optional<failure>& outcome) {
  if (is_finished_) return;
  is_finished_ = true;
  failure_ = outcome;
  connection_.close();
  error_code ignored;
  input_.close(ignored);
  signals_.cancel(ignored);
}

}  // namespace echo
