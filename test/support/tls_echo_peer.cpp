#include "support/tls_echo_peer.hpp"

#include "common/tls.hpp"

#include <openssl/ssl.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace echo::test {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

class peer_session : public std::enable_shared_from_this<peer_session> {
 public:
  using done_handler = std::function<void(const tls_echo_peer::record&)>;

  peer_session(tcp::socket socket, ssl::context& context, bool is_close_notify,
               done_handler on_done)
      : stream_(std::move(socket), context),
        is_close_notify_(is_close_notify),
        on_done_(std::move(on_done)) {}

  ~peer_session() { on_done_(record_); }

  void start() {
    stream_.async_handshake(
        ssl::stream_base::server,
        [self = shared_from_this()](const error_code& ec) { self->on_handshake(ec); });
  }

 private:
  void on_handshake(const error_code& ec) {
    if (ec) return end(describe_tls_error(ec));
    record_.is_handshake_ok = true;
    const char* name = ::SSL_get_servername(stream_.native_handle(), TLSEXT_NAMETYPE_host_name);
    record_.server_name = name != nullptr ? name : "";
    record_.client_subject = peer_certificate_subject(stream_.native_handle());
    do_read();
  }

  void do_read() {
    stream_.async_read_some(
        asio::buffer(buffer_),
        [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
  }

  // One read, then its echo, then the next read: the echo is never pending at the end.
  void on_read(const error_code& ec, std::size_t n) {
    if (ec == asio::error::eof) {
      // OpenSSL reports the client's close_notify as EOF; a bare TCP close is stream_truncated.
      record_.is_close_notify_received = true;
      return say_goodbye("close_notify");
    }
    if (ec == ssl::error::stream_truncated) return end("eof");
    if (ec) return end(describe_tls_error(ec));
    asio::async_write(stream_, asio::buffer(buffer_.data(), n),
                      [self = shared_from_this()](const error_code& write_ec, std::size_t written) {
                        self->on_written(write_ec, written);
                      });
  }

  void on_written(const error_code& ec, std::size_t n) {
    if (ec) return end(describe_tls_error(ec));
    record_.bytes_echoed += n;
    do_read();
  }

  // The client's close_notify came first, so async_shutdown sends ours and completes at once.
  void say_goodbye(const std::string& ending) {
    if (!is_close_notify_) return end(ending);
    stream_.async_shutdown(
        [self = shared_from_this(), ending](const error_code&) { self->end(ending); });
  }

  void end(const std::string& ending) {
    record_.ending = ending;
    error_code ignored;
    stream_.lowest_layer().close(ignored);
  }

  ssl::stream<tcp::socket> stream_;
  bool is_close_notify_;
  done_handler on_done_;
  tls_echo_peer::record record_;
  std::array<char, 16 * 1024> buffer_;
};

}  // namespace

struct tls_echo_peer::state {
  explicit state(const settings& s)
      : is_close_notify(s.is_close_notify),
        tls(make_server_context({s.certificate, s.private_key, s.client_ca})),
        acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

  void do_accept() {
    acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec) return;  // closed by the destructor
      std::make_shared<peer_session>(std::move(socket), tls, is_close_notify,
                                     [this](const record& r) { add(r); })
          ->start();
      do_accept();
    });
  }

  void add(const record& r) {
    const std::lock_guard<std::mutex> lock(mutex);
    records.push_back(r);
    changed.notify_all();
  }

  // Sessions still open at the end die with the io_context and report to add(): what they touch
  // (the records, the TLS context) is declared above it.
  bool is_close_notify;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<record> records;
  ssl::context tls;
  asio::io_context context{1};
  tcp::acceptor acceptor;
  std::thread thread;
};

tls_echo_peer::tls_echo_peer(const settings& s) : state_(std::make_unique<state>(s)) {
  state_->do_accept();
  state_->thread = std::thread([this] { state_->context.run(); });
}

tls_echo_peer::~tls_echo_peer() {
  state_->context.stop();
  state_->thread.join();
}

std::uint16_t tls_echo_peer::port() const { return state_->acceptor.local_endpoint().port(); }

std::optional<std::vector<tls_echo_peer::record>> tls_echo_peer::wait_for_records(std::size_t count,
                                                                                  deadline d) {
  std::unique_lock<std::mutex> lock(state_->mutex);
  if (!state_->changed.wait_until(lock, d.at(), [&] { return state_->records.size() >= count; })) {
    return std::nullopt;
  }
  return state_->records;
}

}  // namespace echo::test
