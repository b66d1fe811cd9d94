#include "client/client_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace echo {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Our close_notify alert as the bytes of its TLS record, with SSL_shutdown called once. Asio's
// ssl::stream offers only async_shutdown, which goes on to wait for the peer's close_notify and
// takes for itself whatever data arrives meanwhile: the replies we still want to read. So the
// record is made with the write side pointed at a memory BIO for that one call, and the caller
// writes it to the socket. Reading goes on through the ssl::stream: OpenSSL (3.0, checked)
// still returns the peer's data after our close_notify, then EOF at the peer's.
std::string take_close_notify(SSL* ssl) {
  BIO* memory = ::BIO_new(::BIO_s_mem());
  if (memory == nullptr) return {};
  BIO* engine_side = ::SSL_get_wbio(ssl);
  ::BIO_up_ref(engine_side);     // SSL_set0_wbio drops the SSL's reference to it
  ::SSL_set0_wbio(ssl, memory);  // the SSL owns `memory` now
  ::ERR_clear_error();
  ::SSL_shutdown(ssl);  // 0: sent, the peer's not yet seen; 1: both; <0: nothing to send
  ::ERR_clear_error();
  char* data = nullptr;
  const long size = BIO_get_mem_data(memory, &data);
  std::string record(data, static_cast<std::size_t>(size > 0 ? size : 0));
  ::SSL_set0_wbio(ssl, engine_side);  // frees `memory`
  return record;
}

}  // namespace

client_stream::client_stream(asio::io_context& context, client_tls* tls, const logger* log)
    : socket_(context), tls_(tls), log_(log) {
  start_tls();
}

void client_stream::start_tls() {
  if (tls_ == nullptr) return;
  tls_stream_.emplace(socket_, tls_->context());
  tls_->prepare(*tls_stream_);
}

void client_stream::reset() {
  tls_stream_.reset();
  socket_ = tcp::socket(socket_.get_executor());
  start_tls();
}

void client_stream::async_handshake(handler on_done) {
  if (!tls_stream_) {
    asio::post(socket_.get_executor(), [on_done = std::move(on_done)] { on_done(error_code()); });
    return;
  }
  tls_stream_->async_handshake(asio::ssl::stream_base::client, std::move(on_done));
}

void client_stream::async_shutdown_send(handler on_done) {
  if (!tls_stream_) {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    asio::post(socket_.get_executor(), [on_done = std::move(on_done), ec] { on_done(ec); });
    return;
  }
  close_notify_ = take_close_notify(tls_stream_->native_handle());
  asio::async_write(
      socket_, asio::buffer(close_notify_),
      [on_done = std::move(on_done)](const error_code& ec, std::size_t) { on_done(ec); });
}

void client_stream::close() {
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace echo
