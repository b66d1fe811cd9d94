// asio_echo: the plain Boost.Asio example (async_tcp_echo_server.cpp of Asio's C++11 examples),
// as a user would write it, so that bench/run can show what our server costs per echo next to
// Asio used the obvious way (issue 16). One session per connection, async_read_some into its own
// 1024-byte buffer -> async_write of what came -> async_read_some again; one thread, one
// io_context. Only what bench/run needs is added: 127.0.0.1, port 0, TCP_NODELAY (as every other
// peer has), the "listening on" line, and a clean exit on SIGTERM or SIGINT.
//
//   asio_echo PORT        listens on 127.0.0.1:PORT (0 picks a free port) and prints
//                         "listening on 127.0.0.1:PORT" on stderr once it accepts connections
//
// bench/run builds it with g++ -O2 -std=c++17 -pthread into build/bench/.

#include <boost/asio.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

using boost::asio::ip::tcp;

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket socket) : socket_(std::move(socket)) {}

  void start() { do_read(); }

 private:
  void do_read() {
    auto self(shared_from_this());
    socket_.async_read_some(boost::asio::buffer(data_, max_length),
                            [this, self](boost::system::error_code ec, std::size_t length) {
                              if (!ec) do_write(length);
                            });
  }

  void do_write(std::size_t length) {
    auto self(shared_from_this());
    boost::asio::async_write(socket_, boost::asio::buffer(data_, length),
                             [this, self](boost::system::error_code ec, std::size_t /*length*/) {
                               if (!ec) do_read();
                             });
  }

  tcp::socket socket_;
  enum { max_length = 1024 };
  char data_[max_length];
};

class server {
 public:
  server(boost::asio::io_context& io_context, unsigned short port)
      : acceptor_(io_context, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port)) {
    do_accept();
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

 private:
  void do_accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<session>(std::move(socket))->start();
      }
      do_accept();
    });
  }

  tcp::acceptor acceptor_;
};

int main(int argc, char* argv[]) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: asio_echo PORT\n");
    return 2;
  }
  try {
    boost::asio::io_context io_context(1);
    server s(io_context, static_cast<unsigned short>(std::atoi(argv[1])));
    boost::asio::signal_set signals(io_context, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { io_context.stop(); });
    std::fprintf(stderr, "listening on 127.0.0.1:%u\n", static_cast<unsigned>(s.port()));
    io_context.run();
  } catch (std::exception& e) {
    std::fprintf(stderr, "asio_echo: %s\n", e.what());
    return 1;
  }
  return 0;
}
