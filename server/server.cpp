#include "server/server.hpp"

#include "common/endpoint.hpp"

#include <memory>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

server::server(server_options options, const logger& log)
    : options_(std::move(options)),
      log_(log),
      session_context_{options_.reply, options_.message_wait, log_, stats_, registry_},
      listener_(context_, log_, [this](asio::ip::tcp::socket s) { on_accept(std::move(s)); }),
      signals_(
          context_, [this] { stop(); }, [this] { close_everything(); }),
      grace_timer_(context_) {
  registry_.on_empty([this] { finish_if_idle(); });
}

std::optional<std::string> server::open() {
  if (auto failure = listener_.open({options_.address, options_.port})) return failure;
  is_open_ = true;
  listener_.start();
  // Scripts that start us on port 0 read the real port from this line, so it is written after
  // listen() succeeded and whatever the log level.
  log_.always("listening on " + format_endpoint(local_endpoint()) + " (reply " +
              std::string(to_string(options_.reply.mode)) + (options_.reply.once ? ", once" : "") +
              ")");
  return std::nullopt;
}

exit_code server::run() {
  if (!is_open_) {
    if (auto failure = open()) {
      log_.error(*failure);
      return exit_code::failure;
    }
  }
  context_.run();
  log_.always("shut down: " + stats_.summary());
  return exit_code::ok;
}

void server::stop() {
  if (is_stopping_) return;
  is_stopping_ = true;
  const std::size_t open = registry_.size();
  log_.info("shutting down" +
            (open == 0 ? std::string()
                       : ": " + std::to_string(open) + " open connection" + (open == 1 ? "" : "s") +
                             ", Ctrl+C again closes them now"));
  listener_.close();
  registry_.stop_all();
  grace_timer_.expires_after(shutdown_grace);
  grace_timer_.async_wait([this](const error_code& ec) {
    if (!ec) close_everything();
  });
  finish_if_idle();
}

void server::close_everything() {
  is_stopping_ = true;
  listener_.close();
  registry_.close_all();
  finish_if_idle();
}

// Once stopping and no session is left, drop the last waits so that run() returns by itself.
void server::finish_if_idle() {
  if (!is_stopping_ || !registry_.is_empty()) return;
  grace_timer_.cancel();
  signals_.cancel();
}

void server::on_accept(asio::ip::tcp::socket socket) {
  std::make_shared<session>(std::move(socket), session_context_)->start();
}

}  // namespace echo
