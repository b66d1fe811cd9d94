#include "client/client_tls.hpp"

#include "common/endpoint.hpp"
#include "common/tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/ssl/host_name_verification.hpp>

#include <cstdio>

namespace echo {

namespace ssl = boost::asio::ssl;

namespace {

tls_client_files files_of(const client_tls_options& tls) {
  tls_client_files files;
  files.ca = tls.ca;
  files.certificate = tls.certificate;
  files.private_key = tls.private_key;
  files.is_insecure = tls.is_insecure;
  return files;
}

// Asio's host_name_verification, plus a reason: when the name does not match, OpenSSL would
// only say "certificate verify failed", so record a hostname (or IP address) mismatch for the
// error line to name.
class name_check {
 public:
  explicit name_check(const std::string& name)
      : verify_(name), is_address_(parse_address(name).has_value()) {}

  bool operator()(bool is_preverified, ssl::verify_context& context) const {
    if (verify_(is_preverified, context)) return true;
    X509_STORE_CTX* store = context.native_handle();
    // A chain that failed by itself keeps OpenSSL's reason; host_name_verification checks the
    // name at depth 0 only (the server's own certificate).
    if (is_preverified && ::X509_STORE_CTX_get_error_depth(store) == 0) {
      ::X509_STORE_CTX_set_error(
          store, is_address_ ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH);
    }
    return false;
  }

 private:
  ssl::host_name_verification verify_;
  bool is_address_;
};

}  // namespace

std::unique_ptr<client_tls> client_tls::from_options(const client_options& options) {
  if (!options.tls.is_enabled) return nullptr;
  auto tls = std::make_unique<client_tls>(options);
  if (options.tls.is_insecure) {
    std::fputs("echo-client: warning: --insecure: the server's certificate is not verified\n",
               stderr);
  }
  return tls;
}

client_tls::client_tls(const client_options& options)
    : context_(make_client_context(files_of(options.tls))),
      server_name_(options.tls.server_name.empty() ? std::string(strip_brackets(options.host))
                                                   : options.tls.server_name),
      // RFC 6066: SNI carries host names only, never a literal IP address.
      is_sni_(!parse_address(server_name_).has_value()),
      is_verifying_(!options.tls.is_insecure) {}

void client_tls::prepare(tls_stream& stream) const {
  if (is_sni_) ::SSL_set_tlsext_host_name(stream.native_handle(), server_name_.c_str());
  if (is_verifying_) stream.set_verify_callback(name_check(server_name_));
}

}  // namespace echo
