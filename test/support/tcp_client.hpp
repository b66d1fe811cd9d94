#pragma once
// A TCP client on plain POSIX sockets for tests that need precise control over what is sent when:
// half-close, reset, one message without a newline. Every call takes a deadline and never blocks
// past it (the socket is non-blocking; waits are poll(2)). Move-only; closes on destruction.
// For many clients at once, or sending and reading at the same time, see conversation.

#include "support/deadline.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace echo::test {

struct read_result {
  std::string data;           // what was read, in order
  bool is_eof = false;        // the peer closed its sending side
  int error = 0;              // errno of a failed read (ECONNRESET, ...), 0 if none
  bool is_timed_out = false;  // the deadline passed first
};

class tcp_client {
 public:
  // Connects to an IPv4 or IPv6 literal. Throws std::runtime_error on failure or at the deadline.
  static tcp_client connect(const std::string& host, std::uint16_t port,
                            deadline d = deadline::after_default());
  // The same, from the local address `source` (port chosen by the kernel): a client from
  // 127.0.0.2 looks like another machine to a server that counts connections per address.
  static tcp_client connect_from(const std::string& source, const std::string& host,
                                 std::uint16_t port, deadline d = deadline::after_default());

  tcp_client(tcp_client&& other) noexcept;
  tcp_client& operator=(tcp_client&& other) noexcept;
  ~tcp_client();

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  // Our end as the server's log shows it: "127.0.0.1:39786", "[::1]:39786".
  std::string local_endpoint() const;

  // Sends all of `bytes`. Throws std::runtime_error on an error or at the deadline.
  void send_all(std::string_view bytes, deadline d = deadline::after_default());
  // Sends filler without ever reading until the socket stays full: by then the server cannot write
  // its echo back to us, so (in echo mode) it has a write pending and has stopped reading. "Stays
  // full" means no room came within `probe`; if room comes, we send more, so the probe is a
  // condition wait, not a pause. Returns the bytes sent.
  std::size_t send_until_stalled(deadline d = deadline::after_default(),
                                 std::chrono::milliseconds probe = std::chrono::milliseconds(200));
  // Half-close: the server reads EOF; we can still read its replies.
  void shutdown_send();

  // Reads until `size` bytes in all, EOF, an error or the deadline.
  read_result read(std::size_t size, deadline d = deadline::after_default());
  // Reads until what was read contains `text`, EOF, an error or the deadline.
  read_result read_until(std::string_view text, deadline d = deadline::after_default());
  // Reads until EOF, an error or the deadline.
  read_result read_until_eof(deadline d = deadline::after_default());

  // Aborts the connection: SO_LINGER with a zero timeout, then close, so the peer gets a RST.
  void reset();
  void close();

 private:
  friend class tcp_listener;  // wraps the connections it accepts
  explicit tcp_client(int fd) : fd_(fd) {}
  template <class IsEnough>
  read_result read_while_not(IsEnough is_enough, deadline d);

  int fd_ = -1;
};

// Whether this machine can listen on and connect to ::1 (IPv6 may be disabled).
bool has_ipv6_loopback();

}  // namespace echo::test
