// libFuzzer target for reply_policy. Input layout: byte 0 picks the mode (bits 0-1, % 3), --once
// (bit 2) and a small max_line (bit 3 clear: 1 + byte 1 % 64) or the default; byte 2 picks the
// prefix and ack texts; bytes 3..6 are the chunking plan (fuzz_support.hpp); the rest is what the
// client sends. Each input is fed three ways (whole, in chunks, in chunks with pauses) and checked
// against reply_policy.hpp's contract.

#include "common/reply_policy.hpp"

#include "fuzz_support.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

using echo::done_reason;
using echo::reply_config;
using echo::reply_mode;
using echo::reply_policy;
using echo::fuzz::chunk;
using echo::fuzz::cut;
using echo::fuzz::require;
using namespace std::string_view_literals;

// Prefix and ack texts. None holds '\n', so the newlines in a reply count the lines answered.
constexpr std::string_view texts[] = {""sv, "Echo: "sv, "ACK!"sv, "\r"sv, "\0"sv, "\xff\xfb\x01"sv};

struct transcript {
  std::string out;           // every reply, concatenated
  std::size_t messages = 0;  // calls to the message observer
  std::size_t flushed = 0;   // flush_partial calls that had a message held back
  done_reason reason = done_reason::none;
};

// Feeds the chunks as a session does, flushing after each pause and at EOF, and checks what must
// hold after every call.
transcript converse(const reply_config& config, const std::vector<chunk>& chunks) {
  const bool is_line_mode = config.mode != reply_mode::echo || config.once;
  transcript t;
  reply_policy policy(config, [&](std::string_view message) {
    ++t.messages;
    require(!is_line_mode || message.size() <= config.max_line);  // nothing longer is held
    require(!config.once || t.messages == 1);
  });
  const auto record = [&](bool was_done, std::string_view reply) {
    require(!was_done || reply.empty());  // once done, never another byte
    t.out += reply;
  };
  const auto flush = [&] {
    const bool was_done = policy.is_done();
    if (!was_done && policy.has_partial()) ++t.flushed;
    record(was_done, policy.flush_partial());
  };
  for (const auto& c : chunks) {
    const bool was_done = policy.is_done();
    record(was_done, policy.feed(c.bytes));
    // The rest of the same read, a bounded piece at a time, before the next read.
    while (policy.has_unanswered()) {
      const std::string_view piece = policy.answer_more();
      require(piece.size() <= echo::reply_piece + echo::max_reply_text + config.max_line + 2 +
                                  reply_policy::too_long_reply(config.max_line).size());
      record(was_done, piece);
    }
    if (c.pause_after) flush();
  }
  flush();
  t.reason = policy.reason();
  return t;
}

void check(const reply_config& config, std::string_view in, const transcript& t) {
  if (t.reason == done_reason::line_too_long) {
    const std::string error = reply_policy::too_long_reply(config.max_line);
    require(t.out.size() >= error.size() &&
            t.out.compare(t.out.size() - error.size(), error.size(), error) == 0);
  }
  if (config.once) require((t.reason == done_reason::once) == (t.messages == 1));
  if (config.mode == reply_mode::echo && !config.once) require(t.out == in);
  if (config.mode != reply_mode::echo && !config.once && t.reason == done_reason::none) {
    // One reply per message: each line, and each unterminated rest flushed at a pause or EOF.
    const auto newlines = static_cast<std::size_t>(std::count(in.begin(), in.end(), '\n'));
    require(t.messages == newlines + t.flushed);
    require(static_cast<std::size_t>(std::count(t.out.begin(), t.out.end(), '\n')) == newlines);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 7) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  reply_config config;
  config.mode = static_cast<reply_mode>((data[0] & 0x03u) % 3);
  config.once = (data[0] & 0x04u) != 0;
  config.max_line = (data[0] & 0x08u) != 0 ? echo::default_max_line : 1u + data[1] % 64u;
  config.prefix = texts[data[2] % std::size(texts)];
  config.ack = texts[(data[2] >> 4) % std::size(texts)];
  const std::string_view steps = input.substr(3, 4);
  const std::string_view in = input.substr(7);

  const transcript whole = converse(config, {{in, false}});
  const transcript chunked = converse(config, cut(in, steps, false));
  const transcript paused = converse(config, cut(in, steps, true));
  // Without pauses, how the bytes were cut never changes what is sent or when it stops.
  require(chunked.out == whole.out && chunked.reason == whole.reason);
  for (const transcript* t : {&whole, &chunked, &paused}) check(config, in, *t);
  return 0;
}
