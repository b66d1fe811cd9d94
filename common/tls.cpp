#include "common/tls.hpp"

#include "common/errors.hpp"
#include "common/escape.hpp"
#include "common/log.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/ssl/error.hpp>

#include <memory>

namespace echo {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

namespace {

// SSLv2/v3 and TLS 1.0/1.1 off; no compression (CRIME); a fresh key for each DH exchange.
constexpr auto context_options = ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                 ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                 ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                                 ssl::context::single_dh_use;

[[noreturn]] void fail(const std::string& what, const std::string& file, const error_code& ec) {
  throw tls_error(what + " '" + escape_for_log(file) + "': " + describe_tls_error(ec));
}

ssl::context make_context(ssl::context::method method) {
  ssl::context context(method);
  context.set_options(context_options);
  ::SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  return context;
}

void load_identity(ssl::context& context, const std::string& certificate,
                   const std::string& private_key) {
  error_code ec;
  context.use_certificate_chain_file(certificate, ec);
  if (ec) fail("cannot load TLS certificate", certificate, ec);
  context.use_private_key_file(private_key, ssl::context::pem, ec);
  if (ec) fail("cannot load TLS private key", private_key, ec);
  if (::SSL_CTX_check_private_key(context.native_handle()) != 1) {
    ::ERR_clear_error();
    throw tls_error("TLS private key '" + escape_for_log(private_key) +
                    "' does not match certificate '" + escape_for_log(certificate) + "'");
  }
}

}  // namespace

ssl::context make_server_context(const tls_server_files& files) {
  ssl::context context = make_context(ssl::context::tls_server);
  // An idle connection gives its OpenSSL record buffers (about 34 KiB) back between reads and
  // writes. Asio 1.81 sets this on each SSL object too; here it does not depend on that.
  ::SSL_CTX_set_mode(context.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  load_identity(context, files.certificate, files.private_key);
  if (!files.client_ca.empty()) {
    error_code ec;
    context.load_verify_file(files.client_ca, ec);
    if (ec) fail("cannot load TLS client CA", files.client_ca, ec);
    context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

ssl::context make_client_context(const tls_client_files& files) {
  ssl::context context = make_context(ssl::context::tls_client);
  if (!files.certificate.empty() || !files.private_key.empty()) {
    load_identity(context, files.certificate, files.private_key);
  }
  if (files.is_insecure) {
    context.set_verify_mode(ssl::verify_none);
    return context;
  }
  error_code ec;
  if (files.ca.empty()) {
    context.set_default_verify_paths(ec);
    if (ec) fail("cannot load the system's TLS trust store", "", ec);
  } else {
    context.load_verify_file(files.ca, ec);
    if (ec) fail("cannot load TLS CA", files.ca, ec);
  }
  context.set_verify_mode(ssl::verify_peer);
  return context;
}

std::string describe_tls_error(const error_code& ec) {
  if (ec == ssl::error::stream_truncated) return "connection closed without a TLS close_notify";
  if (ec.category() == ssl::error::get_stream_category()) return lower_message(ec);
  // Errors from OpenSSL carry its reason string ("certificate verify failed"); the library and
  // function parts before it only repeat where we are.
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    const char* reason = ::ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason != nullptr) return reason;
  }
  return lower_message(ec);
}

std::string describe_handshake_error(const error_code& ec, SSL* ssl) {
  std::string reason = describe_tls_error(ec);
  const bool is_verify_failure =
      ec.category() == boost::asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  if (ssl == nullptr || !is_verify_failure) return reason;
  const long verify_result = ::SSL_get_verify_result(ssl);
  if (verify_result != X509_V_OK) {
    reason += " (";
    reason += ::X509_verify_cert_error_string(verify_result);
    reason += ")";
  }
  return reason;
}

std::string peer_certificate_subject(SSL* ssl) {
  std::unique_ptr<X509, decltype(&::X509_free)> certificate(::SSL_get1_peer_certificate(ssl),
                                                            &::X509_free);
  if (!certificate) return "";
  std::unique_ptr<BIO, decltype(&::BIO_free)> bio(::BIO_new(::BIO_s_mem()), &::BIO_free);
  if (!bio) return "";
  ::X509_NAME_print_ex(bio.get(), ::X509_get_subject_name(certificate.get()), 0,
                       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return escape_for_log(std::string_view(data, static_cast<std::size_t>(size)));
}

}  // namespace echo
