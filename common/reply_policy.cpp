#include "common/reply_policy.hpp"

namespace echo {

std::optional<reply_mode> parse_reply_mode(std::string_view text) {
  if (text == "echo") return reply_mode::echo;
  if (text == "prefix") return reply_mode::prefix;
  if (text == "ack") return reply_mode::ack;
  return std::nullopt;
}

std::string_view to_string(reply_mode mode) {
  switch (mode) {
    case reply_mode::echo:
      return "echo";
    case reply_mode::prefix:
      return "prefix";
    case reply_mode::ack:
      return "ack";
  }
  return "echo";
}

reply_policy::reply_policy(const reply_config& config, message_observer observer)
    : config_(config),
      observer_(std::move(observer)),
      // Plain echo is a byte stream with no messages; --once needs a first message to stop
      // after, so it frames lines like the other modes.
      is_line_mode_(config.mode != reply_mode::echo || config.once),
      splitter_(config.max_line) {}

std::string reply_policy::too_long_reply(std::size_t max_line) {
  return "error: line longer than " + std::to_string(max_line) + " bytes, closing\n";
}

std::string_view reply_policy::feed(std::string_view in) {
  out_.clear();
  if (is_done()) return {};
  if (!is_line_mode_) {
    if (observer_) observer_(in);
    return in;
  }
  if (has_unanswered()) {  // not the call pattern, but nothing is lost or reordered
    unanswered_.append(in);
    return answer_more();
  }
  const std::size_t used = answer(in);
  if (!is_done() && used < in.size()) unanswered_.assign(in.substr(used));
  return out_;
}

std::string_view reply_policy::answer_more() {
  out_.clear();
  answered_ += answer(std::string_view(unanswered_).substr(answered_));
  if (is_done() || answered_ == unanswered_.size()) {
    std::string().swap(unanswered_);
    answered_ = 0;
  }
  return out_;
}

// Replies to the lines at the start of `in` until the replies reach reply_piece bytes or the
// policy is done; returns how many bytes of `in` that took.
std::size_t reply_policy::answer(std::string_view in) {
  const auto status = splitter_.feed(
      in, [this](const line& l) { return reply_to(l) && out_.size() < reply_piece; });
  if (status == line_splitter::status::too_long) {
    out_ += too_long_reply(config_.max_line);
    done_ = done_reason::line_too_long;
  }
  return splitter_.consumed();
}

std::string_view reply_policy::flush_partial() {
  out_.clear();
  if (is_done()) return out_;
  const auto status = splitter_.take_partial([this](const line& l) { return reply_to(l); });
  if (status == line_splitter::status::too_long) {
    out_ += too_long_reply(config_.max_line);
    done_ = done_reason::line_too_long;
  }
  return out_;
}

void reply_policy::release_memory() {
  // Enough for a typical line's reply, so a steady exchange of short lines allocates nothing.
  constexpr std::size_t kept_capacity = 256;
  if (out_.capacity() > kept_capacity) std::string().swap(out_);
}

std::size_t reply_policy::memory_held() const {
  return out_.capacity() + unanswered_.capacity() + splitter_.memory_held();
}

// Appends the reply for one message; returns whether to go on with the next one.
bool reply_policy::reply_to(const line& message) {
  ++messages_;
  if (observer_) observer_(message.content);
  switch (config_.mode) {
    case reply_mode::echo:
      out_ += message.content;
      break;
    case reply_mode::prefix:
      out_ += config_.prefix;
      out_ += message.content;
      break;
    case reply_mode::ack:
      out_ += config_.ack;
      break;
  }
  // The reply keeps the message's own ending, so an unterminated message gets a bare reply.
  out_ += message.ending;
  if (config_.once) {
    done_ = done_reason::once;
    return false;
  }
  return true;
}

}  // namespace echo
