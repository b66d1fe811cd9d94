#pragma once
// A TLS echo server of the test's own, for echo-client's TLS tests while echo-server's TLS is
// built elsewhere: Asio SSL on its own thread, listening on 127.0.0.1 port 0. Each connection
// handshakes, echoes every byte back, and at the client's end of data (its close_notify, or EOF)
// writes what is pending, sends its own close_notify (unless told to close without one) and
// closes. It records what each connection showed (SNI, client certificate subject, whether the
// client sent a close_notify), for tests to wait on. Construct, run the client, read records().

#include "support/deadline.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace echo::test {

class tls_echo_peer {
 public:
  struct settings {
    std::string certificate;      // PEM
    std::string private_key;      // PEM
    std::string client_ca;        // PEM; set: a client certificate is required
    bool is_close_notify = true;  // false: end with a bare TCP close after the echo
  };

  // What one connection showed, complete once it has closed.
  struct record {
    std::string server_name;     // SNI, "" without
    std::string client_subject;  // "" without a client certificate
    bool is_handshake_ok = false;
    bool is_close_notify_received = false;  // the client ended with a close_notify
    std::size_t bytes_echoed = 0;
    std::string ending;  // how it ended: "close_notify", "eof", or the error
  };

  explicit tls_echo_peer(const settings& s);
  ~tls_echo_peer();
  tls_echo_peer(const tls_echo_peer&) = delete;
  tls_echo_peer& operator=(const tls_echo_peer&) = delete;

  std::uint16_t port() const;

  // Waits until `count` connections have closed and returns their records (in closing order);
  // nullopt at the deadline.
  std::optional<std::vector<record>> wait_for_records(std::size_t count,
                                                      deadline d = deadline::after_default());

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace echo::test
