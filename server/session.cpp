// The handler chain of one connection. Each arrow is one pending operation; every handler first
// returns if phase_ is closed, and at most one read and one write are outstanding.
//
//   start -> [admission: do_read_proxy_header -> on_proxy_header (server/admission decides)]
//         -> on_connected -> [TLS: async_wait_first_byte -> on_hello_ready -> do_handshake
//                             -> on_handshake (server/tls_handshake: its slot, its log lines)]
//         -> do_read -> on_first_bytes (server/first_bytes) -> on_read: bytes in
//              -> reply policy (common/reply_policy) -> do_write -> [impairment, while one is on:
//              server/impaired_stream holds, paces, slices, resets -> on_held]
//              -> transport now, or the rest later (server/outbox) -> on_write
//         -> do_reply_rest: the rest of the read's replies, or do_next: do_read again, or
//              do_await_rest: a partial message's rest races a pause (server/message_wait)
//              -> on_rest: on_read, or answer_partial -> do_write
//   ends: eof, once, line too long -> finish (the transport's graceful close, under a linger
//         timer) -> close; an error, stop() or check_timeouts (the phase's deadline, from
//         server/session_state) -> close. ~session writes events::closed.

#include "server/session.hpp"

#include "server/admission.hpp"
#include "server/events.hpp"
#include "server/impairment.hpp"
#include "server/session_registry.hpp"
#include "server/tls_handshake.hpp"

#include <boost/asio/buffer.hpp>

#include <utility>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

session::session(tcp_socket socket, const asio::ip::tcp::endpoint& peer, slot_pool::slot connection,
                 const session_context& context)
    : connection_slot_(std::move(connection)),
      transport_(std::move(socket), context.tls),
      context_(context),
      policy_(context.reply, context.log.is_enabled(log_level::debug)
                                 ? reply_policy::message_observer([this](std::string_view m) {
                                     events::message(context_.log, peer_, m);
                                   })
                                 : reply_policy::message_observer()),
      peer_(peer),
      last_activity_tick_(context.now_tick),
      started_(std::chrono::steady_clock::now()) {}

session::~session() {
  const auto lived = std::chrono::steady_clock::now() - started_;
  --context_.counters.connections_active;
  context_.counters.count_ending(ending_, lived);
  events::closed(context_.log, peer_, lived, bytes_in_, bytes_out_, ending_, ending_error_);
  context_.registry.remove(this, peer_.address());
}

void session::start() {
  // Reads and writes are tried at once and must never block the reactor.
  error_code ignored;
  transport_.socket().non_blocking(true, ignored);
  context_.registry.add(this, peer_.address());
  ++context_.counters.connections_total;
  ++context_.counters.connections_active;
  if (context_.is_proxy_protocol) {
    admission_ = std::make_unique<admission>(context_, this);
    phase_ = phase::admission;
    return do_read_proxy_header();
  }
  on_connected({});
}

// Bytes after the header in the same read are the client's first data (or the start of its TLS
// handshake): passed on, never echoed as header.
void session::do_read_proxy_header() {
  transport_.socket().async_read_some(
      first_bytes_.buffer(), [self = shared_from_this()](const error_code& ec, std::size_t n) {
        self->on_proxy_header(ec, n);
      });
}

void session::on_proxy_header(const error_code& ec, std::size_t n) {
  if (phase_ == phase::closed) return;
  const admission::verdict verdict = admission_->feed(ec, first_bytes_.view(n), peer_, transport_);
  using kind = admission::verdict::kind;
  if (verdict.what == kind::read_more) return do_read_proxy_header();
  if (verdict.what == kind::refused) return close(verdict.refusal);
  admission_.reset();
  on_connected(verdict.early);
}

// `early_data`: bytes that came with the PROXY header, in first_bytes_, which stays untouched
// until the handshake or on_read has used them.
void session::on_connected(std::string_view early_data) {
  events::accepted(context_.log, peer_, context_.counters.connections_active.load());
  last_activity_tick_ = context_.now_tick;
  if (transport_.has_handshake()) {
    phase_ = phase::handshake;
    if (!early_data.empty()) return do_handshake(early_data);
    return transport_.async_wait_first_byte(
        [self = shared_from_this()](const error_code& ec) { self->on_hello_ready(ec); });
  }
  phase_ = phase::reading;
  if (!early_data.empty()) return on_read({}, early_data);
  do_read();
}

// Readable: the ClientHello, or anything else, which the handshake reports. A client that closes
// without a byte (a health check, a port scan) gets no TLS state: an ordinary end.
void session::on_hello_ready(const error_code& ec) {
  if (phase_ == phase::closed) return;
  if (ec) return close(ending_for(ec), ec);
  do_handshake({});
}

// Past --max-handshakes the client is refused at once (server/tls_handshake).
void session::do_handshake(std::string_view early_data) {
  handshake_slot_ = tls_handshake::take_slot(context_, peer_);
  if (!handshake_slot_) return close(ending::refused);
  transport_.async_handshake(
      early_data, [self = shared_from_this()](const error_code& ec) { self->on_handshake(ec); });
}

void session::on_handshake(const error_code& ec) {
  handshake_slot_.reset();
  last_activity_tick_ = context_.now_tick;
  if (phase_ == phase::closed) return;
  if (!tls_handshake::record_end(context_, peer_, transport_, ec)) {
    return close(ending::tls_handshake_failed);
  }
  phase_ = phase::reading;
  do_read();
}

void session::stop() {
  // Replies held by the impairment stage are written first; the pending read, if any, ends
  // unanswered (on_first_bytes and on_rest see writing_then_stop).
  if (stage_holds() && phase_ != phase::finishing) {
    phase_ = phase::writing_then_stop;
    return impaired().when_drained([self = shared_from_this()] { self->close(ending::shutdown); });
  }
  // With a write pending, on_write closes once it completes; otherwise only a read is pending.
  if (phase_ != phase::writing && phase_ != phase::writing_last) return close(ending::shutdown);
  phase_ = phase::writing_then_stop;
}

void session::close(ending why, const error_code& ec) {
  if (phase_ == phase::closed) return;
  phase_ = phase::closed;
  ending_ = why;
  ending_error_ = ec;
  // Cancels the pending read or write: their handlers see phase::closed.
  error_code ignored;
  transport_.socket().close(ignored);
  if (on_demand_) {
    on_demand_->timer.cancel();
    if (on_demand_->impaired) on_demand_->impaired->cancel();
  }
  wait_.stop();
}

void session::check_timeouts(std::uint64_t now) {
  if (phase_ == phase::closed) return;
  const deadline limit = deadline_of(phase_, context_);
  if (!limit.is_past(last_activity_tick_, now)) return;
  record_timeout(phase_, context_, peer_);
  close(limit.why);
}

// Into the session's small buffer, then the reactor's shared one (server/first_bytes).
void session::do_read() {
  transport_.async_read_some(first_bytes_.buffer(),
                             [self = shared_from_this()](const error_code& ec, std::size_t n) {
                               self->on_first_bytes(ec, n);
                             });
}

void session::on_first_bytes(const error_code& ec, std::size_t n) {
  if (phase_ == phase::closed || phase_ == phase::writing_then_stop) return;
  phase_ = phase::reading;
  // TLS: this read raced the pause; one the pause cancelled answers the partial message.
  if (wait_.is_on() && wait_.read_ended(timer(), ec)) return answer_partial();
  if (ec) return on_read(ec, {});
  on_read(ec, first_bytes_.take(n, transport_, shared_buffer()));
}

// `data` is valid only during the call: it is in the session's small buffer or the reactor's
// shared one, which do_write never keeps.
void session::on_read(const error_code& ec, std::string_view data) {
  if (phase_ == phase::closed) return;
  if (transport::is_end_of_stream(ec)) return on_end_of_stream();
  if (ec) {
    events::read_failed(context_.log, peer_, ec);
    return close(ending_for(ec), ec);
  }
  bytes_in_ += data.size();
  context_.counters.bytes_in += data.size();  // as it happens, for a live stats line
  last_activity_tick_ = context_.now_tick;
  const std::string_view reply = policy_.feed(data);
  reply.empty() ? do_next() : do_write(reply);
}

// The client half-closed: what it sent is all there is. Reply to any unterminated message, then
// finish (on_write sees phase::writing_last).
void session::on_end_of_stream() {
  const std::string_view reply = policy_.flush_partial();
  if (reply.empty()) return finish(ending::eof);
  phase_ = phase::writing_last;
  do_write(reply);
}

// Reads on, unless the policy holds an unterminated message: then the client may be done with
// it (the seeds' clients send one message without a newline and wait for the answer), or the
// rest of the line may be on its way.
void session::do_next() {
  // Waiting for the client from here on: keep no more than a short reply's memory meanwhile.
  policy_.release_memory();
  outbox_.release_memory();
  phase_ = phase::reading;
  if (context_.impairment.is_active() && impaired().should_stall(bytes_in_)) {
    return impaired().stall([self = shared_from_this()] {
      self->policy_.has_partial() ? self->do_await_rest() : self->do_read();
    });
  }
  policy_.has_partial() ? do_await_rest() : do_read();
}

// The rest of a message races a pause of --message-wait (server/message_wait).
void session::do_await_rest() {
  phase_ = phase::awaiting_rest;
  wait_.start(transport_, timer(), context_.message_wait, shared_buffer(),
              [self = shared_from_this()](message_wait::outcome won, const error_code& ec,
                                          std::string_view data) { self->on_rest(won, ec, data); });
  if (transport_.holds_input()) do_read();
}

void session::on_rest(message_wait::outcome won, const error_code& ec, std::string_view data) {
  if (phase_ == phase::closed || phase_ == phase::writing_then_stop) return;
  phase_ = phase::reading;
  if (won == message_wait::outcome::pause) return answer_partial();
  if (won == message_wait::outcome::failed) return close(ending_for(ec), ec);
  on_read(ec, data);
}

// The client paused inside a message: answer what it has sent of it.
void session::answer_partial() {
  const std::string_view reply = policy_.flush_partial();
  reply.empty() ? do_read() : do_write(reply);
}

// Writes what the socket takes now, and the rest once it has room (server/outbox).
void session::do_write(std::string_view bytes) {
  // Every message of a line mode has a reply, so this is where they are counted.
  if (const std::uint64_t messages = policy_.take_messages())
    context_.counters.messages += messages;
  if (is_impaired()) return do_impaired_write(bytes);
  if (phase_ != phase::writing_last) phase_ = phase::writing;
  last_activity_tick_ = context_.now_tick;
  error_code ec;
  const std::size_t n = outbox_.write_now(transport_, bytes, ec);
  if (ec || n == bytes.size()) return on_write(ec, n);
  outbox_.async_write_rest(transport_,
                           [self = shared_from_this()](const error_code& e, std::size_t written) {
                             self->on_write(e, written);
                           });
}

// Bytes the transport took, from the outbox or the impairment stage.
void session::note_written(std::size_t n) {
  bytes_out_ += n;
  context_.counters.bytes_out += n;
  last_activity_tick_ = context_.now_tick;
}

void session::on_write(const error_code& ec, std::size_t n) {
  note_written(n);
  if (phase_ == phase::closed) return;
  if (ec) {
    events::write_failed(context_.log, peer_, ec);
    return close(ending_for(ec), ec);
  }
  if (phase_ == phase::writing_then_stop) return close(ending::shutdown);
  if (phase_ == phase::writing_last) return finish(ending::eof);
  do_reply_rest();
}

// While an impairment is on, and after, until the stage has written what it holds (so that order
// is kept): one flag to test on the data path when none ever was.
bool session::is_impaired() const { return context_.impairment.is_active() || stage_holds(); }

bool session::stage_holds() const {
  return on_demand_ && on_demand_->impaired && !on_demand_->impaired->is_empty();
}

impaired_stream& session::impaired() {
  on_demand& p = parts();
  if (!p.impaired) {
    const std::weak_ptr<void> owner = shared_from_this();
    p.impaired = std::make_unique<impaired_stream>(
        transport_, context_.impairment, context_.counters, owner,
        impaired_stream::hooks{[this] { on_held(); }, [this](std::size_t n) { note_written(n); },
                               [this](const error_code& ec) {
                                 events::write_failed(context_.log, peer_, ec);
                                 close(ending_for(ec), ec);
                               },
                               [this] {
                                 error_code ignored;
                                 transport_.socket().set_option(asio::socket_base::linger(true, 0),
                                                                ignored);
                                 close(ending::impairment_reset);
                               }},
        bytes_out_);
  }
  return *p.impaired;
}

// The stage takes the reply (server/impaired_stream); the session reads on unless it holds as
// much as it may, and then once it has room (on_held).
void session::do_impaired_write(std::string_view bytes) {
  if (phase_ != phase::writing_last && phase_ != phase::writing_then_stop) phase_ = phase::writing;
  last_activity_tick_ = context_.now_tick;
  if (impaired().hold(bytes)) on_held();
}

void session::on_held() {
  if (phase_ == phase::closed) return;
  if (phase_ == phase::writing_last) return finish(ending::eof);
  if (phase_ == phase::writing_then_stop) return;  // stop() waits for the stage to drain
  do_reply_rest();
}

// After a write: the policy may have ended the connection (--once, a line over --max-line);
// otherwise the rest of the same read's replies, a piece at a time, before reading on.
void session::do_reply_rest() {
  switch (policy_.reason()) {
    case done_reason::once:
      return finish(ending::once);
    case done_reason::line_too_long:
      events::line_too_long(context_.log, peer_, context_.reply.max_line);
      return finish(ending::line_too_long);
    case done_reason::none:
      break;
  }
  if (!policy_.has_unanswered()) return do_next();
  const std::string_view reply = policy_.answer_more();
  reply.empty() ? do_next() : do_write(reply);
}

// Ends a connection whose last reply is written, gracefully (see transport::async_finish),
// within linger_timeout.
void session::finish(ending why) {
  if (stage_holds()) {
    phase_ = phase::writing;  // under --write-timeout while the stage writes the rest
    return on_demand_->impaired->when_drained(
        [self = shared_from_this(), why] { self->finish(why); });
  }
  ending_ = why;
  phase_ = phase::finishing;
  const bool is_peer_done = why == ending::eof;  // its EOF is in
  const auto close_now = [self = shared_from_this()] { self->close(self->ending_); };
  if (transport_.async_finish(is_peer_done, shared_buffer(), close_now)) return close(why);
  timer().expires_after(linger_timeout);
  timer().async_wait([close_now](const error_code& ec) {
    if (!ec) close_now();
  });
}

}  // namespace echo
