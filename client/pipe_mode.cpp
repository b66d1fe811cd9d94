#include "client/pipe_mode.hpp"

#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

// dup() so that closing the descriptors at the end leaves the process's own 0 and 1 alone.
pipe_mode::pipe_mode(const client_options& options, const logger& log)
    : options_(options),
      log_(log),
      tls_(client_tls::from_options(options)),
      connection_(context_, options, log, tls_.get()),
      input_(context_, ::dup(STDIN_FILENO)),
      output_(context_, ::dup(STDOUT_FILENO)),
      deadline_(context_) {}

exit_code pipe_mode::run() {
  connection_.async_connect([this](const std::optional<failure>& f) { on_connected(f); });
  context_.run();
  return failure_ ? report(*failure_) : exit_code::ok;
}

void pipe_mode::on_connected(const std::optional<failure>& outcome) {
  if (outcome) return finish(outcome);
  do_read_input();
  do_read_server();
}

// stdin may be a pipe, a terminal, a regular file or /dev/null: epoll refuses regular files, and
// Asio then simply reads them at once, which is what we want.
void pipe_mode::do_read_input() {
  input_.async_read_some(asio::buffer(to_server_),
                         [this](const error_code& ec, std::size_t n) { on_input(ec, n); });
}

void pipe_mode::on_input(const error_code& ec, std::size_t n) {
  if (is_finished_) return;
  if (ec == asio::error::eof) {
    is_input_done_ = true;
    log_.debug("end of input");
    // From now on only the server's answer is awaited, and that wait has a deadline.
    arm_deadline();
    if (!options_.is_shutdown_after_input) return;
    // No write is in flight: this chain writes only after each stdin read.
    is_sending_ = true;
    connection_.stream().async_shutdown_send(
        [this](const error_code& shutdown_ec) { on_shutdown_sent(shutdown_ec); });
    return;
  }
  if (ec) return finish(failure{exit_code::failure, "cannot read stdin: " + lower_message(ec)});
  is_sending_ = true;
  asio::async_write(connection_.stream(), asio::buffer(to_server_.data(), n),
                    [this](const error_code& write_ec, std::size_t) { on_sent(write_ec); });
}

void pipe_mode::on_sent(const error_code& ec) {
  is_sending_ = false;
  if (is_finished_) return;
  if (ec) return finish(transfer_failure(ec, connection_.peer()));
  if (is_server_done_) return finish(std::nullopt);
  do_read_input();
}

// A failed half-close (the server already gone) is left for the reading chain to report.
void pipe_mode::on_shutdown_sent(const error_code& ec) {
  is_sending_ = false;
  if (is_finished_) return;
  if (ec) log_.debug("half-close failed: " + lower_message(ec));
  if (is_server_done_) finish(std::nullopt);
}

void pipe_mode::do_read_server() {
  connection_.stream().async_read_some(
      asio::buffer(from_server_),
      [this](const error_code& ec, std::size_t n) { on_server(ec, n); });
}

void pipe_mode::on_server(const error_code& ec, std::size_t n) {
  if (is_finished_) return;
  if (is_timed_out_) {
    return finish(
        timeout_failure("waiting for a reply from", connection_.peer(), options_.timeout));
  }
  if (ec == asio::error::eof) {
    // The server closed and every byte it sent is already on stdout: the one way to succeed.
    // But a reset is reported once, to whichever call meets it first, and the read after it sees
    // a plain EOF; so with a write in flight, its outcome decides (see on_sent).
    is_server_done_ = true;
    if (!is_sending_) finish(std::nullopt);
    return;
  }
  if (ec) return finish(transfer_failure(ec, connection_.peer()));
  asio::async_write(output_, asio::buffer(from_server_.data(), n),
                    [this](const error_code& write_ec, std::size_t) { on_printed(write_ec); });
}

void pipe_mode::on_printed(const error_code& ec) {
  if (is_finished_) return;
  // Whoever reads our stdout has had enough (`echo-client | head -1`): end quietly with 0, as nc
  // does, rather than report the reader's choice as our failure.
  if (ec == asio::error::broken_pipe) {
    log_.debug("stdout closed by its reader");
    return finish(std::nullopt);
  }
  if (ec) return finish(failure{exit_code::failure, "cannot write stdout: " + lower_message(ec)});
  if (is_input_done_) arm_deadline();
  do_read_server();
}

// Re-armed on each chunk from the server; a wait that fires while a newer expiry is set was
// overtaken by that re-arm and is ignored.
void pipe_mode::arm_deadline() {
  deadline_.expires_after(options_.timeout);
  deadline_.async_wait([this](const error_code& ec) {
    if (ec || is_finished_ || deadline_.expiry() > std::chrono::steady_clock::now()) return;
    is_timed_out_ = true;
    connection_.close();
  });
}

void pipe_mode::finish(const std::optional<failure>& outcome) {
  if (is_finished_) return;
  is_finished_ = true;
  failure_ = outcome;
  deadline_.cancel();
  connection_.close();
  error_code ignored;
  input_.close(ignored);
  output_.close(ignored);
}

}  // namespace echo
