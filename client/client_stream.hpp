#pragma once
// One client connection's byte stream: a plain TCP socket, or TLS over it. Each operation picks
// its branch with one test, so plain TCP (and --bench's hot path) costs no virtual call and no
// wrapped handler. Meets Asio's AsyncReadStream and AsyncWriteStream, so asio::async_write,
// async_read and async_read_until work on it as on a socket. Owned by a connection (or a bench
// flow); one read and one write may be in flight at once, as on a socket.
//
// TLS only: a server that closes the TCP connection without a close_notify after sending
// everything ends the stream like a plain EOF. Its reads then complete with asio::error::eof
// instead of ssl::error::stream_truncated (logged at debug): the echo protocol has its own end,
// so a truncation attack has nothing to gain, and many servers close that way.

#include "client/client_tls.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace echo {

class client_stream {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  using handler = std::function<void(const boost::system::error_code&)>;

  // tls: nullptr for plain TCP; it must outlive the stream. log: for the debug line on a
  // truncated TLS stream; may be nullptr.
  client_stream(boost::asio::io_context& context, client_tls* tls, const logger* log);

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  bool is_tls() const { return tls_stream_.has_value(); }
  // The OpenSSL connection, for error details; nullptr for plain TCP.
  SSL* native_handle() { return tls_stream_ ? tls_stream_->native_handle() : nullptr; }
  executor_type get_executor() { return socket_.get_executor(); }

  // A fresh socket (and TLS state) for the next connection, as --bench --churn makes. Nothing
  // may be in flight.
  void reset();

  // TLS: the client handshake (SNI and the name check set by client_tls). Plain TCP: completes
  // at once, with no error. Bound it with a timer that calls close().
  void async_handshake(handler on_done);

  // The end of our data: plain TCP shuts down the sending side; TLS sends a close_notify (its
  // record written straight to the socket, see the .cpp). Either way reads go on until the
  // peer's own end. Call with no write in flight; nothing may be written after it.
  void async_shutdown_send(handler on_done);

  void close();

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& on_read) {
    if (!tls_stream_) {
      socket_.async_read_some(buffers, std::forward<Handler>(on_read));
      return;
    }
    tls_stream_->async_read_some(
        buffers, truncation_as_eof<std::decay_t<Handler>>{std::forward<Handler>(on_read), log_});
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& on_written) {
    if (!tls_stream_) {
      socket_.async_write_some(buffers, std::forward<Handler>(on_written));
      return;
    }
    tls_stream_->async_write_some(buffers, std::forward<Handler>(on_written));
  }

 private:
  template <class Handler>
  struct truncation_as_eof {
    Handler inner;
    const logger* log;

    void operator()(boost::system::error_code ec, std::size_t n) {
      if (ec == boost::asio::ssl::error::stream_truncated) {
        if (log != nullptr) log->debug("the server closed without a TLS close_notify: EOF");
        ec = boost::asio::error::eof;
      }
      inner(ec, n);
    }
  };

  void start_tls();

  boost::asio::ip::tcp::socket socket_;
  client_tls* tls_;
  const logger* log_;
  std::optional<client_tls::tls_stream> tls_stream_;  // over socket_, so declared after it
  std::string close_notify_;
};

}  // namespace echo
