#include "server/transport.hpp"

#include "common/tls.hpp"
#include "server/listener.hpp"

#include <openssl/ssl.h>
#include <boost/asio/ssl/error.hpp>

namespace echo {

namespace asio = boost::asio;

bool transport::is_end_of_stream(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

void transport::refuse() {
  boost::system::error_code ignored;
  if (!has_handshake()) socket_.send(asio::buffer(listener::refusal), 0, ignored);
}

std::string transport::tls_protocol() const { return ::SSL_get_version(tls_->native_handle()); }

std::string transport::peer_certificate() const {
  return peer_certificate_subject(tls_->native_handle());
}

std::size_t transport::read_available(asio::mutable_buffer into) {
  boost::system::error_code ec;
  if (!tls_) return socket_.read_some(into, ec);
  const int pending = ::SSL_pending(tls_->native_handle());
  if (pending <= 0) return 0;
  return tls_->read_some(asio::buffer(into, static_cast<std::size_t>(pending)), ec);
}

std::size_t transport::write_now(std::string_view bytes, boost::system::error_code& ec) {
  if (tls_) return 0;
  const std::size_t n = socket_.write_some(asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec == asio::error::would_block) {
    ec.clear();
    return 0;
  }
  return n;
}

}  // namespace echo
