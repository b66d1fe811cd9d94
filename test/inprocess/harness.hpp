#pragma once
// The in-process harness: an echo::server on port 0 and Asio clients on the server's own
// io_context, driven with run_for until a condition holds or a deadline passes. No threads, no
// child processes: each step of a test is one turn of the same loop.

#include "common/log.hpp"
#include "server/server.hpp"
#include "server/server_options.hpp"
#include "server/stats.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace echo::test {

using clock = std::chrono::steady_clock;

// Options for a server on 127.0.0.1, port 0, quiet but for errors.
inline server_options local_options() {
  server_options options;
  options.address = boost::asio::ip::make_address("127.0.0.1");
  options.port = 0;
  return options;
}

class harness {
 public:
  // `log`: errors on stderr unless a test reads the log (see log_capture.hpp).
  explicit harness(server_options options, logger log = logger(log_level::error))
      : log_(log), server_(std::move(options), log_) {}

  // Opens the server; the reason on failure.
  std::optional<std::string> open() { return server_.open(); }

  server& get() { return server_; }
  boost::asio::io_context& context() { return server_.context(); }
  const stats& counters() const { return server_.counters(); }

  // Runs the loop until `done()` or `limit` has passed; returns done().
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const clock::time_point deadline = clock::now() + limit;
    while (!done() && clock::now() < deadline) {
      if (server_.context().stopped()) server_.context().restart();
      server_.context().run_for(std::chrono::milliseconds(1));
    }
    return done();
  }
  // Runs the loop for `how_long`, whatever happens.
  void run_for(std::chrono::milliseconds how_long) {
    run_until([] { return false; }, how_long);
  }

 private:
  logger log_;
  server server_;
};

// A client on the server's io_context: connects at once (the kernel completes it), keeps one
// read pending that appends to `received` and notes when each piece came, and records how the
// stream ended (eof, a reset...).
class client {
 public:
  explicit client(harness& h) : socket_(h.context()) {
    socket_.connect(h.get().local_endpoint());
    socket_.set_option(boost::asio::ip::tcp::no_delay(true));
  }

  void start_reading() {
    socket_.async_read_some(boost::asio::buffer(buffer_),
                            [this](const boost::system::error_code& ec, std::size_t n) {
                              if (ec) {
                                ended = ec;
                                return;
                              }
                              received.append(buffer_.data(), n);
                              arrivals.push_back(clock::now());
                              start_reading();
                            });
  }

  // A small write, taken by the socket buffer at once.
  void send(std::string_view bytes) {
    boost::system::error_code ec;
    boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()), ec);
    write_error = ec;
  }

  // Closes with a reset (SO_LINGER 0), as a client that aborts.
  void reset() {
    boost::system::error_code ignored;
    socket_.set_option(boost::asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }

  boost::asio::ip::tcp::socket& socket() { return socket_; }

  std::string received;
  std::vector<clock::time_point> arrivals;
  std::optional<boost::system::error_code> ended;
  boost::system::error_code write_error;

 private:
  boost::asio::ip::tcp::socket socket_;
  std::array<char, 64 * 1024> buffer_{};
};

// closed_by, as plain numbers, to compare before and after.
inline std::array<std::uint64_t, ending_labels.size()> closed_by(const stats& s) {
  std::array<std::uint64_t, ending_labels.size()> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = s.closed_by[i];
  return out;
}

}  // namespace echo::test
