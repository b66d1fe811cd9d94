#pragma once
// One client connection that sends and reads at the same time, for streams too large to send
// before reading (the server stops reading while its reply cannot be written, so a client that
// only sends would deadlock with it) and for many clients at once. A conversation owns its
// tcp_client and an output queue; drive() polls any number of them from the test's thread and
// calls back between rounds so the test can queue more, signal the server, or stop.

#include "support/deadline.hpp"
#include "support/tcp_client.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace echo::test {

class conversation {
 public:
  explicit conversation(tcp_client client) : client_(std::move(client)) {}

  tcp_client& client() { return client_; }

  // Appends to the output queue.
  void send(std::string bytes);
  // Half-closes once the queue is empty (at once if it is).
  void half_close_when_sent() { wants_half_close_ = true; }

  std::size_t pending() const { return pending_; }
  std::uint64_t sent() const { return sent_; }
  // Everything read so far, in order.
  const std::string& received() const { return received_; }
  bool is_eof() const { return is_eof_; }
  int read_error() const { return read_error_; }  // errno, 0 if none
  int send_error() const { return send_error_; }  // errno, 0 if none; the queue was dropped
  // Nothing more will be read: EOF or a read error.
  bool is_finished() const { return is_eof_ || read_error_ != 0; }

  // For drive(): what to poll for, and what to do when poll says so.
  short wanted_events() const;
  void on_ready(short revents);

 private:
  void do_send();
  void do_read();

  tcp_client client_;
  std::deque<std::string> queue_;
  std::size_t front_offset_ = 0;
  std::size_t pending_ = 0;
  std::uint64_t sent_ = 0;
  bool wants_half_close_ = false;
  bool is_half_closed_ = false;
  std::string received_;
  bool is_eof_ = false;
  int read_error_ = 0;
  int send_error_ = 0;
};

// Polls the unfinished conversations until is_done() returns true (it is checked before the first
// round and after each), the deadline passes, or none is left unfinished. Returns is_done().
bool drive(const std::vector<conversation*>& conversations, deadline d,
           const std::function<bool()>& is_done);

// Drives one conversation until it is finished (EOF or read error); false at the deadline.
bool drive_to_end(conversation& c, deadline d);

}  // namespace echo::test
