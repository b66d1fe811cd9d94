#pragma once
// Throwaway certificates for the TLS tests, made with the openssl command line the first time a
// test asks for them and kept in one temporary directory for the rest of the test program:
//   ca.pem                  a test CA
//   server.pem, server.key  signed by it, for localhost, 127.0.0.1 and ::1
//   client.pem, client.key  signed by it, subject CN=alice,O=Echo Tests
//   other-ca.pem            a second CA, which nothing here trusts
//   other-client.pem/.key   signed by the other CA, CN=mallory
//   other-server.pem/.key   signed by the other CA, for localhost and 127.0.0.1
//   named.pem, named.key    signed by the CA, for the name echo.test only (no IP address)
// Throws std::runtime_error when openssl is missing or fails.

#include <string>

namespace echo::test {

class tls_files {
 public:
  // The directory, made once per test program and removed at its exit.
  static const tls_files& get();

  std::string path(const std::string& name) const { return directory_ + "/" + name; }
  const std::string& directory() const { return directory_; }

 private:
  tls_files();
  std::string directory_;
};

}  // namespace echo::test
