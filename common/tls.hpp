#pragma once
// TLS contexts for both programs, built from the PEM files named on their command lines (OpenSSL
// through Boost.Asio SSL). TLS 1.2 is the minimum; OpenSSL then negotiates TLS 1.3 with any peer
// that has it. No sockets here: the server's sessions and the client's connection wrap their
// sockets in ssl::stream over these contexts. Failures are one line naming the file and OpenSSL's
// reason, thrown as tls_error for the setup code to print.

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/system/error_code.hpp>

#include <stdexcept>
#include <string>

namespace echo {

struct tls_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct tls_server_files {
  std::string certificate;  // PEM, the chain from the server's certificate up
  std::string private_key;  // PEM
  std::string client_ca;    // PEM; when set, clients must present a certificate it signed
};

struct tls_client_files {
  std::string ca;            // PEM; empty: the system's trust store
  std::string certificate;   // PEM, for mutual TLS; empty: none
  std::string private_key;   // PEM, with certificate
  bool is_insecure = false;  // skip verifying the server (the client warns)
};

boost::asio::ssl::context make_server_context(const tls_server_files& files);
boost::asio::ssl::context make_client_context(const tls_client_files& files);

// "certificate verify failed", "wrong version number", ...: OpenSSL's reason for a failed
// handshake or read, in the words our log lines use.
std::string describe_tls_error(const boost::system::error_code& ec);

// describe_tls_error, and for a certificate that failed verification also why, from
// SSL_get_verify_result: "certificate verify failed (hostname mismatch)". ssl may be nullptr.
std::string describe_handshake_error(const boost::system::error_code& ec, SSL* ssl);

// The subject of the peer's certificate in one line ("CN=alice,O=Example"), or "" without one.
std::string peer_certificate_subject(SSL* ssl);

}  // namespace echo
