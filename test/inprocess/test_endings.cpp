// Every ending a session can reach in-process is counted under its label of
// echo_connections_closed_total (stats::closed_by, which the metrics page prints): the label is
// named here literally, so a session that ends with the wrong ending, or a label table that drifts,
// fails. Where several endings share a label, the tests that read the server's log (log_capture)
// also check the "closed" line's reason, which is the ending's own word.

#include "common/tls.hpp"
#include "support/tls_files.hpp"
#include "test/inprocess/harness.hpp"
#include "test/inprocess/log_capture.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <list>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;
using echo::ending;
using echo::test::client;
using echo::test::harness;
using echo::test::log_capture;

std::size_t label_index(std::string_view label) {
  const auto at = std::find(echo::ending_labels.begin(), echo::ending_labels.end(), label);
  REQUIRE(at != echo::ending_labels.end());
  return static_cast<std::size_t>(at - echo::ending_labels.begin());
}

// Runs `scenario`, waits until `endings.size()` more connections have ended, and checks that each
// was counted under `label` and nothing else was counted.
void expect_endings(harness& h, std::initializer_list<ending> endings, std::string_view label,
                    const std::function<void()>& scenario,
                    std::chrono::milliseconds limit = 2000ms) {
  const std::size_t index = label_index(label);
  for (const ending why : endings) {
    INFO("ending " << static_cast<int>(why) << " (" << echo::ending_word(why) << ")");
    CHECK(echo::metric_label(why) == index);
  }
  const auto before = echo::test::closed_by(h.counters());
  const auto total = [&] {
    const auto now = echo::test::closed_by(h.counters());
    return std::accumulate(now.begin(), now.end(), std::uint64_t{0}) -
           std::accumulate(before.begin(), before.end(), std::uint64_t{0});
  };
  scenario();
  INFO("label " << label);
  REQUIRE(h.run_until([&] { return total() >= endings.size(); }, limit));
  const auto after = echo::test::closed_by(h.counters());
  for (std::size_t i = 0; i < after.size(); ++i) {
    INFO("closed_by[" << echo::ending_labels[i] << "]");
    CHECK(after[i] - before[i] == (i == index ? endings.size() : 0));
  }
}

std::string proxy_v1(const std::string& source) {
  return "PROXY TCP4 " + source + " 192.0.2.100 40000 8888\r\n";
}

// `count` copies of `line` (which ends with its newline).
std::string repeat(std::string_view line, std::size_t count) {
  std::string out;
  out.reserve(line.size() * count);
  for (std::size_t i = 0; i < count; ++i) out += line;
  return out;
}

// A TLS client on the harness's loop; the handshake starts at once. socket() is under the TLS
// stream, for bytes that must not be TLS records.
class tls_client {
 public:
  tls_client(harness& h, asio::ssl::context& context)
      : socket_(h.context()), stream_(socket_, context) {
    socket_.connect(h.get().local_endpoint());
    stream_.async_handshake(asio::ssl::stream_base::client,
                            [this](const error_code& ec) { handshake = ec; });
  }

  // Sends `text` as TLS and waits until as many bytes have come back.
  void round_trip(harness& h, const std::string& text) {
    asio::write(stream_, asio::buffer(text));
    std::string reply(text.size(), '\0');
    std::optional<error_code> read;
    asio::async_read(stream_, asio::buffer(reply),
                     [&](const error_code& ec, std::size_t) { read = ec; });
    REQUIRE(h.run_until([&] { return read.has_value(); }));
    REQUIRE_FALSE(*read);
    CHECK(reply == text);
  }

  asio::ip::tcp::socket& socket() { return socket_; }

  std::optional<error_code> handshake;

 private:
  asio::ip::tcp::socket socket_;
  asio::ssl::stream<asio::ip::tcp::socket&> stream_;
};

echo::server_options tls_options() {
  const echo::test::tls_files& files = echo::test::tls_files::get();
  echo::server_options options = echo::test::local_options();
  options.tls_cert = files.path("server.pem");
  options.tls_key = files.path("server.key");
  return options;
}

}  // namespace

TEST_CASE("endings: plain connections reach their labels", "[inprocess][endings]") {
  echo::server_options options = echo::test::local_options();
  options.reply.mode = echo::reply_mode::prefix;  // holds lines to --max-line
  options.reply.max_line = 16;
  options.idle_timeout = std::chrono::seconds(1);
  harness h(options);
  REQUIRE_FALSE(h.open());
  std::list<client> clients;

  expect_endings(h, {ending::eof}, "eof", [&] {
    client& c = clients.emplace_back(h);
    c.send("bye\n");
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
  });
  expect_endings(h, {ending::reset}, "reset", [&] {
    client& c = clients.emplace_back(h);
    c.start_reading();
    c.send("hi\n");
    REQUIRE(h.run_until([&] { return c.received == "Echo: hi\n"; }));
    c.reset();
  });
  expect_endings(h, {ending::line_too_long}, "error", [&] {
    client& c = clients.emplace_back(h);
    c.send(std::string(32, 'x') + "\n");
    // Done sending: the server's lingering close ends at this EOF (a client that stays would be
    // closed by --idle-timeout, under idle_timeout).
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
  });
  const std::uint64_t timed_out = h.counters().timed_out;
  expect_endings(
      h, {ending::idle_timeout}, "idle_timeout", [&] { clients.emplace_back(h); }, 4000ms);
  CHECK(h.counters().timed_out == timed_out + 1);
  expect_endings(h, {ending::shutdown}, "shutdown", [&] {
    client& c = clients.emplace_back(h);
    c.start_reading();
    c.send("hi\n");
    REQUIRE(h.run_until([&] { return c.received == "Echo: hi\n"; }));
    h.get().stop();
  });
}

TEST_CASE("endings: --once is counted as eof", "[inprocess][endings]") {
  echo::server_options options = echo::test::local_options();
  options.reply.once = true;
  harness h(options);
  REQUIRE_FALSE(h.open());
  std::list<client> clients;

  expect_endings(h, {ending::once}, "eof", [&] {
    client& c = clients.emplace_back(h);
    c.send("once\n");
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
  });
}

TEST_CASE("endings: PROXY header endings reach their labels", "[inprocess][endings]") {
  echo::server_options options = echo::test::local_options();
  options.proxy_protocol = true;
  options.max_connections_per_ip = 1;
  options.handshake_timeout = std::chrono::seconds(1);
  harness h(options);
  REQUIRE_FALSE(h.open());
  std::list<client> clients;

  expect_endings(h, {ending::no_proxy_header}, "error", [&] {
    client& c = clients.emplace_back(h);
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
  });
  expect_endings(h, {ending::bad_proxy_header}, "error", [&] {
    client& c = clients.emplace_back(h);
    c.send("GET / HTTP/1.0\r\n\r\n");
  });
  expect_endings(h, {ending::refused}, "error", [&] {
    client& first = clients.emplace_back(h);
    first.start_reading();
    first.send(proxy_v1("192.0.2.7") + "hi\n");
    REQUIRE(h.run_until([&] { return first.received == "hi\n"; }));
    clients.emplace_back(h).send(proxy_v1("192.0.2.7"));
  });
  const std::uint64_t timed_out = h.counters().timed_out;
  expect_endings(
      h, {ending::handshake_timeout}, "idle_timeout", [&] { clients.emplace_back(h); }, 4000ms);
  CHECK(h.counters().timed_out == timed_out + 1);
}

TEST_CASE("endings: a client that never reads is closed by --write-timeout",
          "[inprocess][endings]") {
  log_capture log;
  echo::server_options options = echo::test::local_options();
  options.write_timeout = std::chrono::seconds(1);
  harness h(options, log.make_logger());
  REQUIRE_FALSE(h.open());

  // A receive buffer this small, set before connecting, keeps the window the client offers small:
  // the echoes fill it and then the server's send buffer, and the server's write waits. It reads
  // nothing meanwhile, so the client's own sending stalls too, and nothing grows.
  asio::ip::tcp::socket c(h.context());
  c.open(asio::ip::tcp::v4());
  c.set_option(asio::socket_base::receive_buffer_size(4096));
  c.connect(h.get().local_endpoint());
  const asio::ip::tcp::endpoint peer = c.local_endpoint();
  const std::string chunk = repeat(std::string(63, 'x') + "\n", 1024);
  std::optional<error_code> write_ended;
  std::function<void()> send_more = [&] {
    asio::async_write(c, asio::buffer(chunk), [&](const error_code& ec, std::size_t) {
      if (ec) {
        write_ended = ec;
        return;
      }
      send_more();
    });
  };
  const std::uint64_t timed_out = h.counters().timed_out;
  // The sweep runs once a second and closes a write stuck for more than one sweep: 1 to 2 s.
  expect_endings(h, {ending::write_timeout}, "write_timeout", send_more, 4000ms);
  CHECK(h.counters().timed_out == timed_out + 1);
  CHECK(log.closed_reason(peer) == "write timeout");
  CHECK(h.counters().bytes_out > 0);
  CHECK(h.counters().bytes_out < h.counters().bytes_in);  // the rest was never taken
  // Closed with the client's bytes unread: a reset, which ends the client's pending write.
  REQUIRE(h.run_until([&] { return write_ended.has_value(); }, 1000ms));
  CHECK(*write_ended);
}

TEST_CASE("endings: a client that closed before reading its replies stopped reading",
          "[inprocess][endings]") {
  log_capture log;
  echo::server_options options = echo::test::local_options();
  options.reply.mode = echo::reply_mode::prefix;
  harness h(options, log.make_logger());
  REQUIRE_FALSE(h.open());

  client c(h);
  const asio::ip::tcp::endpoint peer = c.socket().local_endpoint();
  expect_endings(h, {ending::peer_stopped_reading}, "reset", [&] {
    // 32 KiB of one-byte lines, in one read of the server's: 128 KiB of replies, which it writes
    // in 16 KiB pieces (reply_piece). The client is gone before the first: its FIN is in, so the
    // server writes the piece, and the client's kernel answers it with a reset. The next write
    // then fails with a broken pipe (a reset after the FIN is EPIPE), not connection_reset.
    c.send(repeat("x\n", 16 * 1024));
    c.socket().close();
  });
  CHECK(log.closed_reason(peer) == "peer stopped reading");
  CHECK(h.counters().bytes_out > 0);  // the piece before the broken pipe
}

TEST_CASE("endings: plaintext on a TLS port fails the handshake", "[inprocess][endings][tls]") {
  log_capture log;
  harness h(tls_options(), log.make_logger());
  REQUIRE_FALSE(h.open());

  client c(h);
  const asio::ip::tcp::endpoint peer = c.socket().local_endpoint();
  const std::uint64_t failures = h.counters().tls_handshake_failures;
  expect_endings(h, {ending::tls_handshake_failed}, "error",
                 [&] { c.send("GET / HTTP/1.0\r\n\r\n"); });
  CHECK(h.counters().tls_handshake_failures == failures + 1);
  CHECK(log.closed_reason(peer) == "TLS handshake failed");
}

// No plain TCP input reaches ending::error at once (it takes an error such as ETIMEDOUT from the
// kernel); over TLS, a record OpenSSL cannot read does.
TEST_CASE("endings: a bad TLS record after the handshake ends with the generic error",
          "[inprocess][endings][tls]") {
  log_capture log;
  harness h(tls_options(), log.make_logger());
  REQUIRE_FALSE(h.open());

  asio::ssl::context context =
      echo::make_client_context({echo::test::tls_files::get().path("ca.pem"), "", ""});
  tls_client c(h, context);
  const asio::ip::tcp::endpoint peer = c.socket().local_endpoint();
  REQUIRE(h.run_until([&] { return c.handshake.has_value(); }));
  REQUIRE_FALSE(*c.handshake);
  c.round_trip(h, "hi\n");  // the server's handshake is over too: it is reading records
  expect_endings(h, {ending::error}, "error", [&] {
    // Plaintext under the TLS stream: not a record header OpenSSL can read.
    asio::write(c.socket(), asio::buffer(std::string_view("hello\n")));
  });
  const std::string reason = log.closed_reason(peer);
  // ending::error has no word of its own: the line names the error, as the warning about the
  // failed read does (any other ending would put its own word there).
  CHECK_FALSE(reason.empty());
  CHECK(reason == log.field("read_failed", peer, "error"));
}
