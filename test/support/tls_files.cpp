#include "support/tls_files.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace echo::test {

namespace {

// One shell script, so the certificates are made in one go; EC keys, so it takes milliseconds.
constexpr const char* make_certificates = R"(set -e
cd "$1"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {  # ca NAME SUBJECT
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "$2" -days 2 -out "$1.pem" \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() {  # leaf NAME CA SUBJECT EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$3" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
server_ext='subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth'
client_ext='extendedKeyUsage=clientAuth'
ca ca '/CN=Echo Test CA'
ca other-ca '/CN=Other Test CA'
leaf server ca '/CN=localhost' "$server_ext"
leaf client ca '/O=Echo Tests/CN=alice' "$client_ext"
leaf other-server other-ca '/CN=localhost' "$server_ext"
leaf other-client other-ca '/CN=mallory' "$client_ext"
leaf named ca '/CN=echo.test' 'subjectAltName=DNS:echo.test
extendedKeyUsage=serverAuth'
)";

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

const tls_files& tls_files::get() {
  static const tls_files files;
  return files;
}

tls_files::tls_files() {
  char pattern[] = "/tmp/echo-tls-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("cannot make a temporary directory");
  directory_ = pattern;
  const std::string command =
      "bash -c " + quoted(make_certificates) + " make-certificates " + quoted(directory_);
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("cannot make test certificates with openssl in " + directory_);
  }
  // Removed at exit, as late as possible: a static's destructor would do, but a test program
  // killed by a signal leaves the directory behind either way.
  static const std::string to_remove = directory_;
  std::atexit([] { std::system(("rm -rf " + quoted(to_remove)).c_str()); });
}

}  // namespace echo::test
