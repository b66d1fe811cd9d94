// The line-mode pause race over TLS: the same as test_pause, with each piece its own TLS record.
// OpenSSL may hold bytes the socket no longer shows, so the server races the pause with a read of
// the TLS stream (see session::do_await_rest); the answer must still come once, whole, after the
// last piece's pause.

#include "common/tls.hpp"
#include "support/tls_files.hpp"
#include "test/inprocess/pause_scenario.hpp"

#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using echo::test::clock;

class tls_client {
 public:
  tls_client(echo::test::harness& h, asio::ssl::context& context)
      : socket_(h.context()), stream_(socket_, context) {
    socket_.connect(h.get().local_endpoint());
    socket_.set_option(asio::ip::tcp::no_delay(true));
    stream_.async_handshake(asio::ssl::stream_base::client,
                            [this](const boost::system::error_code& ec) { handshake = ec; });
  }

  void start_reading() {
    stream_.async_read_some(asio::buffer(buffer_),
                            [this](const boost::system::error_code& ec, std::size_t n) {
                              if (ec) return;
                              received.append(buffer_.data(), n);
                              arrivals.push_back(clock::now());
                              start_reading();
                            });
  }

  // One TLS record; the socket takes it at once (the server needs no reply to read it).
  void send(std::string_view bytes) {
    boost::system::error_code ec;
    asio::write(stream_, asio::buffer(bytes.data(), bytes.size()), ec);
    REQUIRE_FALSE(ec);
  }

  std::optional<boost::system::error_code> handshake;
  std::string received;
  std::vector<clock::time_point> arrivals;

 private:
  asio::ip::tcp::socket socket_;
  asio::ssl::stream<asio::ip::tcp::socket&> stream_;
  std::array<char, 4096> buffer_{};
};

}  // namespace

TEST_CASE("tls pause: a message in records is answered once, whole, after the last's pause",
          "[inprocess][pause][tls]") {
  const echo::test::tls_files& files = echo::test::tls_files::get();
  constexpr auto wait = 40ms;
  echo::server_options options = echo::test::prefix_options(wait);
  options.tls_cert = files.path("server.pem");
  options.tls_key = files.path("server.key");
  echo::test::harness h(options);
  REQUIRE_FALSE(h.open());

  asio::ssl::context context = echo::make_client_context({files.path("ca.pem"), "", ""});
  tls_client c(h, context);
  REQUIRE(h.run_until([&] { return c.handshake.has_value(); }));
  REQUIRE_FALSE(*c.handshake);
  c.start_reading();
  echo::test::check_pieces_answered_once(h, c, wait);
}
