// soak_load: the load half of bench/soak. For a bounded time it keeps three kinds of clients busy
// against one echo server, all on one Asio reactor:
//   churn    connect, send a line, read its echo, close, again (K loops at once)
//   streams  N connections that write a known byte pattern and check every echoed byte
//   idle     I connections opened at the start and left quiet until the end
// Then it prints what it saw as `name=value` lines: connections, bytes echoed, errors, mismatches.
// Not a ctest test: bench/soak builds and runs it.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

struct totals {
  std::uint64_t churn_connections = 0;
  std::uint64_t stream_bytes = 0;
  std::uint64_t idle_connections = 0;
  std::uint64_t errors = 0;
  std::uint64_t mismatches = 0;
  bool is_stopping = false;
};

// Byte i of every stream: a pattern that a shifted or dropped byte cannot reproduce.
char pattern_byte(std::uint64_t i) { return static_cast<char>((i * 131 + (i >> 12)) & 0xFF); }

class churn_loop : public std::enable_shared_from_this<churn_loop> {
 public:
  churn_loop(asio::io_context& context, const tcp::resolver::results_type& server, totals& t)
      : socket_(context), server_(server), totals_(t) {}

  void start() {
    if (totals_.is_stopping) return;
    socket_ = tcp::socket(socket_.get_executor());
    asio::async_connect(socket_, server_,
                        [self = shared_from_this()](const error_code& ec, const tcp::endpoint&) {
                          self->on_connect(ec);
                        });
  }

 private:
  void on_connect(const error_code& ec) {
    if (ec) return fail();
    line_ = "churn " + std::to_string(totals_.churn_connections) + "\n";
    asio::async_write(socket_, asio::buffer(line_),
                      [self = shared_from_this()](const error_code& write_ec, std::size_t) {
                        if (write_ec) return self->fail();
                        self->do_read();
                      });
  }

  void do_read() {
    echo_.assign(line_.size(), '\0');
    asio::async_read(socket_, asio::buffer(echo_),
                     [self = shared_from_this()](const error_code& ec, std::size_t) {
                       if (ec) return self->fail();
                       if (self->echo_ != self->line_) ++self->totals_.mismatches;
                       ++self->totals_.churn_connections;
                       error_code ignored;
                       self->socket_.close(ignored);
                       self->start();
                     });
  }

  void fail() {
    if (!totals_.is_stopping) ++totals_.errors;
    error_code ignored;
    socket_.close(ignored);
    start();
  }

  tcp::socket socket_;
  const tcp::resolver::results_type& server_;
  totals& totals_;
  std::string line_;
  std::string echo_;
};

class stream : public std::enable_shared_from_this<stream> {
 public:
  static constexpr std::size_t chunk = 64 * 1024;
  static constexpr std::uint64_t max_in_flight = 1024 * 1024;

  stream(asio::io_context& context, const tcp::resolver::results_type& server, totals& t)
      : socket_(context), server_(server), totals_(t) {}

  void start() {
    asio::async_connect(socket_, server_,
                        [self = shared_from_this()](const error_code& ec, const tcp::endpoint&) {
                          if (ec) return self->fail();
                          self->do_write();
                          self->do_read();
                        });
  }

  void stop() {
    error_code ignored;
    socket_.close(ignored);
  }

 private:
  void do_write() {
    if (totals_.is_stopping || is_writing_ || sent_ - received_ >= max_in_flight) return;
    for (std::size_t i = 0; i < chunk; ++i) out_[i] = pattern_byte(sent_ + i);
    is_writing_ = true;
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](const error_code& ec, std::size_t n) {
                        self->is_writing_ = false;
                        if (ec) return self->fail();
                        self->sent_ += n;
                        self->do_write();
                      });
  }

  void do_read() {
    socket_.async_read_some(asio::buffer(in_),
                            [self = shared_from_this()](const error_code& ec, std::size_t n) {
                              if (ec) return self->fail();
                              self->check(n);
                              self->do_read();
                              self->do_write();
                            });
  }

  void check(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (in_[i] != pattern_byte(received_ + i)) {
        ++totals_.mismatches;
        break;
      }
    }
    received_ += n;
    totals_.stream_bytes += n;
  }

  void fail() {
    if (!totals_.is_stopping) ++totals_.errors;
  }

  tcp::socket socket_;
  const tcp::resolver::results_type& server_;
  totals& totals_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  bool is_writing_ = false;
  std::array<char, chunk> out_{};
  std::array<char, chunk> in_{};
};

}  // namespace

int main(int argc, char* argv[]) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: soak_load HOST PORT SECONDS CHURN STREAMS IDLE\n");
    return 2;
  }
  const std::string host = argv[1];
  const std::string port = argv[2];
  const int seconds = std::atoi(argv[3]);
  const int churn = std::atoi(argv[4]);
  const int streams = std::atoi(argv[5]);
  const int idle = std::atoi(argv[6]);

  asio::io_context context{1};
  totals t;
  tcp::resolver resolver(context);
  const auto server = resolver.resolve(host, port);

  std::vector<tcp::socket> idle_sockets;
  for (int i = 0; i < idle; ++i) {
    idle_sockets.emplace_back(context);
    error_code ec;
    asio::connect(idle_sockets.back(), server, ec);
    if (ec) {
      ++t.errors;
      idle_sockets.pop_back();
    }
  }
  t.idle_connections = idle_sockets.size();

  std::vector<std::shared_ptr<stream>> all_streams;
  for (int i = 0; i < streams; ++i) {
    all_streams.push_back(std::make_shared<stream>(context, server, t));
    all_streams.back()->start();
  }
  for (int i = 0; i < churn; ++i) std::make_shared<churn_loop>(context, server, t)->start();

  asio::steady_timer end(context, std::chrono::seconds(seconds));
  end.async_wait([&](const error_code&) {
    t.is_stopping = true;
    for (auto& s : all_streams) s->stop();
    for (auto& s : idle_sockets) s.close();
  });
  context.run();

  std::printf(
      "churn_connections=%llu\nstream_bytes_echoed=%llu\nidle_connections=%llu\n"
      "errors=%llu\nmismatches=%llu\n",
      static_cast<unsigned long long>(t.churn_connections),
      static_cast<unsigned long long>(t.stream_bytes),
      static_cast<unsigned long long>(t.idle_connections),
      static_cast<unsigned long long>(t.errors), static_cast<unsigned long long>(t.mismatches));
  return t.errors == 0 && t.mismatches == 0 ? 0 : 1;
}
