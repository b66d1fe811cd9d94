#pragma once
// A connection's byte stream: plain TCP, or TLS over the same socket once start_tls() has made
// the ssl::stream (at the client's first byte, see session::on_hello_ready). The session reads,
// writes and closes through it and never asks which one it has; the socket stays reachable for
// what both share (readiness waits, peeks, cancel, close). Owned by its session; used only on
// the reactor's thread.

#include "server/socket.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace echo {

class transport {
 public:
  // `tls`: the port's TLS context, null for plain TCP.
  transport(tcp_socket socket, boost::asio::ssl::context* tls)
      : socket_(std::move(socket)), tls_context_(tls) {}

  tcp_socket& socket() { return socket_; }

  // The client's clean end: eof, and over TLS a close_notify (eof too) or a TCP FIN without one
  // (stream_truncated), taken the same way: an echo server has no message whose end an attacker
  // could forge.
  static bool is_end_of_stream(const boost::system::error_code& ec);

  // Bytes may wait inside the transport (decrypted TLS records) where a readiness wait on the
  // socket would not see them: then the rest of a message is awaited with a read, not a wait.
  bool holds_input() const { return tls_ != nullptr; }

  // True when a handshake must come before the first read (TLS).
  bool has_handshake() const { return tls_context_ != nullptr; }
  // Waits until the client has sent something, peeked at and left in the socket, so that a
  // silent connection costs a pending wait and not TLS state (issue 12: 3,000 silent clients took
  // 250 MB): handler(error_code), eof when the client closed without a byte.
  template <class Handler>
  void async_wait_first_byte(Handler&& h) {
    socket_.async_wait(tcp_socket::wait_read, [this, h = std::forward<Handler>(h)](
                                                  boost::system::error_code ec) mutable {
      char first = 0;
      if (!ec) socket_.receive(boost::asio::buffer(&first, 1), tcp_socket::message_peek, ec);
      // Woken for nothing: the wait goes on.
      if (ec == boost::asio::error::would_block) return async_wait_first_byte(std::move(h));
      h(ec);
    });
  }
  // Makes the TLS stream and runs the server handshake, starting with `early` (bytes already
  // read from the socket). handler(error_code).
  template <class Handler>
  void async_handshake(std::string_view early, Handler&& h) {
    tls_ = std::make_unique<boost::asio::ssl::stream<tcp_socket&>>(socket_, *tls_context_);
    tls_->async_handshake(boost::asio::ssl::stream_base::server,
                          boost::asio::buffer(early.data(), early.size()),
                          [h = std::forward<Handler>(h)](const boost::system::error_code& ec,
                                                         std::size_t) mutable { h(ec); });
  }
  // Tells a refused client why (listener::refusal), at once and best effort; over TLS nothing,
  // since a plaintext line would read as a broken handshake. The caller closes.
  void refuse();
  // After the handshake: "TLSv1.3", and the client certificate's subject ("" without one).
  std::string tls_protocol() const;
  std::string peer_certificate() const;

  template <class Handler>
  void async_read_some(boost::asio::mutable_buffer into, Handler&& h) {
    if (tls_) return tls_->async_read_some(into, std::forward<Handler>(h));
    socket_.async_read_some(into, std::forward<Handler>(h));
  }
  // What can be read now without waiting, into `into` (0 when nothing): an error shows again on
  // the next read. Over TLS, only what OpenSSL has already decrypted: reading from the socket
  // could make OpenSSL write (a key update), and a write the non-blocking socket refused halfway
  // would break the stream.
  std::size_t read_available(boost::asio::mutable_buffer into);

  // Writes what the socket takes now, without waiting: the count written, 0 when it takes
  // nothing. Over TLS always 0 (OpenSSL cannot take back half a record the socket refused), so
  // every TLS write goes through async_write.
  std::size_t write_now(std::string_view bytes, boost::system::error_code& ec);
  // handler(error_code, bytes written); `bytes` must live until it runs.
  template <class Handler>
  void async_write(boost::asio::const_buffer bytes, Handler&& h) {
    if (tls_) return boost::asio::async_write(*tls_, bytes, std::forward<Handler>(h));
    boost::asio::async_write(socket_, bytes, std::forward<Handler>(h));
  }

  // The graceful close once the last reply is written; handler() once it is over, and the caller
  // closes then (and after its linger time at the latest). TLS: a close_notify, then the
  // client's. Plain: we shut down our sending side so the client reads a clean EOF after the
  // reply; if it may still be sending, closing now would answer its next bytes with a reset, and
  // a reset can destroy our reply before the client reads it, so we read and discard (into
  // `scratch`, kept by nobody across handlers) until its EOF. Returns true when that is already
  // over (plain, `is_peer_done`: its EOF is in), without calling the handler.
  template <class Handler>
  bool async_finish(bool is_peer_done, boost::asio::mutable_buffer scratch, Handler&& h) {
    if (tls_) {
      tls_->async_shutdown(
          [h = std::forward<Handler>(h)](const boost::system::error_code&) mutable { h(); });
      return false;
    }
    boost::system::error_code ignored;
    socket_.shutdown(tcp_socket::shutdown_send, ignored);
    if (is_peer_done) return true;
    drain(scratch, std::forward<Handler>(h));
    return false;
  }

 private:
  template <class Handler>
  void drain(boost::asio::mutable_buffer scratch, Handler&& h) {
    socket_.async_read_some(scratch, [this, scratch, h = std::forward<Handler>(h)](
                                         const boost::system::error_code& ec, std::size_t) mutable {
      if (ec) return h();
      drain(scratch, std::move(h));
    });
  }

  tcp_socket socket_;
  boost::asio::ssl::context* tls_context_;
  // Only with TLS, over socket_, and only once the client has sent its first bytes.
  std::unique_ptr<boost::asio::ssl::stream<tcp_socket&>> tls_;
};

}  // namespace echo
