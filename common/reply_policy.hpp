#pragma once
// Decides what the server sends back for the bytes a connection receives: a byte-exact echo, a
// prefixed line, or an acknowledgement, optionally only once. One per connection, created and
// owned by its session; no I/O, so it is unit tested and fuzzed without sockets.
//
// Call pattern (the session's read loop): write feed(bytes), then read again. When has_partial()
// and the client has paused, or at EOF, write flush_partial(). After a reply is written,
// is_done() says whether the connection must close.

#include "common/framing.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace echo {

enum class reply_mode { echo, prefix, ack };

std::optional<reply_mode> parse_reply_mode(std::string_view text);
std::string_view to_string(reply_mode mode);

constexpr std::size_t default_max_line = 64 * 1024;
// The longest --prefix and --ack: each message's reply holds one, and a line can be one byte.
constexpr std::size_t max_reply_text = 1024;

struct reply_config {
  reply_mode mode = reply_mode::echo;
  std::string prefix = "Echo: ";            // at most max_reply_text bytes
  std::string ack = "ACK!";                 // at most max_reply_text bytes
  bool once = false;                        // close after the first reply
  std::size_t max_line = default_max_line;  // longest line in line-based modes
};

enum class done_reason { none, once, line_too_long };

class reply_policy {
 public:
  // Called with each message received (a line's content, or a chunk in plain echo mode), for the
  // verbose log. Empty by default, which costs nothing.
  using message_observer = std::function<void(std::string_view)>;

  explicit reply_policy(const reply_config& config, message_observer observer = {});

  // The reply owed for `in`. Plain echo returns `in` itself; line modes return a view of an
  // internal buffer. Valid until the next call to feed or flush_partial.
  std::string_view feed(std::string_view in);

  // True when bytes of an unterminated message are held back, waiting for their newline.
  bool has_partial() const { return splitter_.has_partial(); }

  // The client paused or sent EOF: the held-back bytes are one message. Returns its reply (empty
  // when nothing was held back).
  std::string_view flush_partial();

  // True when the connection must close once the last reply is written.
  bool is_done() const { return done_ != done_reason::none; }
  done_reason reason() const { return done_; }

  // Messages answered since the last call (line modes; plain echo has no messages), for the
  // messages counter.
  std::uint64_t take_messages() { return std::exchange(messages_, 0); }

  // The error line sent before closing when a line exceeds max_line.
  static std::string too_long_reply(std::size_t max_line);

 private:
  bool reply_to(const line& message);

  const reply_config& config_;
  message_observer observer_;
  bool is_line_mode_;
  line_splitter splitter_;
  std::string out_;
  done_reason done_ = done_reason::none;
  std::uint64_t messages_ = 0;
};

}  // namespace echo
