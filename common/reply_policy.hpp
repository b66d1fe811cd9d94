#pragma once
// Decides what the server sends back for the bytes a connection receives: a byte-exact echo, a
// prefixed line, or an acknowledgement, optionally only once. One per connection, created and
// owned by its session; no I/O, so it is unit tested and fuzzed without sockets.
//
// Call pattern (the session's read loop): write feed(bytes); while has_unanswered(), write
// answer_more(); then read again. When has_partial() and the client has paused, or at EOF, write
// flush_partial(). After a reply is written, is_done() says whether the connection must close,
// and release_memory() lets an idle connection shrink back to its minimum.
//
// Memory: line modes build the replies to one read in pieces of about reply_piece bytes, keeping
// the read's unanswered rest meanwhile, so what one read costs is bounded by the read, a piece,
// and one message's reply (max_reply_text + max_line + 2 bytes), whatever the input.

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
// Line modes answer a read in pieces of this many bytes of replies (and at most one reply more).
constexpr std::size_t reply_piece = 16 * 1024;

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
  // internal buffer, valid until the next call to feed, answer_more or flush_partial. When the
  // replies to `in` pass reply_piece bytes, line modes return the first piece and keep (copy) the
  // rest of `in`: has_unanswered() is then true, and feed should not be called again until it
  // is false (if it is, its input is answered after the rest).
  std::string_view feed(std::string_view in);

  // True when feed kept input it has not answered yet.
  bool has_unanswered() const { return !unanswered_.empty(); }
  // The reply to the next piece of the kept input (possibly empty: the kept input's end may be an
  // unfinished line). Valid as feed's.
  std::string_view answer_more();

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

  // Frees the reply buffer unless it is small. Call once the last reply is written and the
  // connection waits for more, so an idle connection does not keep its largest reply's memory.
  void release_memory();
  // The capacity of its buffers (replies, an unfinished line, unanswered input), for tests.
  std::size_t memory_held() const;

  // The error line sent before closing when a line exceeds max_line.
  static std::string too_long_reply(std::size_t max_line);

 private:
  std::size_t answer(std::string_view in);
  bool reply_to(const line& message);

  const reply_config& config_;
  message_observer observer_;
  bool is_line_mode_;
  line_splitter splitter_;
  std::string out_;
  // What feed kept of its input, and how much of it is answered: only while has_unanswered().
  std::string unanswered_;
  std::size_t answered_ = 0;
  done_reason done_ = done_reason::none;
  std::uint64_t messages_ = 0;
};

}  // namespace echo
