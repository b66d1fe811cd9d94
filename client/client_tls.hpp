#pragma once
// The client's TLS settings for one run: the ssl::context built once from --tls-ca, --tls-cert,
// --tls-key and --insecure, and the server name to verify and send as SNI. A mode creates one
// (from_options) before it connects and passes it to every connection it makes; client_stream
// calls prepare() on each new TLS stream. Setup only: throws tls_error for a file that cannot be
// loaded, with the one-line reason.

#include "client/client_options.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>

namespace echo {

class client_tls {
 public:
  using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;

  // nullptr when no TLS flag was given. Prints the --insecure warning.
  static std::unique_ptr<client_tls> from_options(const client_options& options);

  explicit client_tls(const client_options& options);

  boost::asio::ssl::context& context() { return context_; }
  // The name checked against the server's certificate: --tls-server-name, else the host.
  const std::string& server_name() const { return server_name_; }

  // Sets SNI (for a host name, not an IP address) and the certificate's name check on a new
  // stream, before its handshake.
  void prepare(tls_stream& stream) const;

 private:
  boost::asio::ssl::context context_;
  std::string server_name_;
  bool is_sni_;
  bool is_verifying_;
};

}  // namespace echo
