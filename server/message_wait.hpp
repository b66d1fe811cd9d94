#pragma once
// The line modes' wait for the rest of a message. A read ended inside a message (no newline yet):
// the client may be done with it (the seeds' clients send one message without a newline and wait
// for the answer), or the rest may be on its way. So more bytes race a pause of --message-wait,
// and exactly one wins: whichever takes the wait ends it, and the other then does nothing. A
// wakeup that finds no bytes wins nothing: the wait and the timer go on.
//
// Plain TCP: the bytes race as a readiness wait, and are read here into the read buffer. TLS: the
// socket may be quiet while OpenSSL holds the rest, so the race is with the session's own read of
// the TLS stream, which the pause cancels; the session reports that read's end to read_ended().
//
// One byte inside its session, which passes in its transport, its timer and the reactor's read
// buffer at each call; the handler, copied into each operation started here, holds the session
// alive. stop() (the session's close) ends a wait with no outcome. Reactor thread only.

#include "server/socket.hpp"
#include "server/transport.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <utility>

namespace echo {

class message_wait {
 public:
  // What won. bytes: `data` (in the read buffer), or the read's error. pause: the client paused
  // for the wait; answer its partial message. failed: the readiness wait itself failed.
  enum class outcome : std::uint8_t { bytes, pause, failed };

  bool is_on() const { return state_ != state::off; }

  // Starts the race: handler(outcome, error_code, std::string_view data), once, unless stop()
  // comes first. Over TLS (transport::holds_input) the caller then starts its read of the stream.
  template <class Handler>
  void start(transport& stream, steady_timer& timer, std::chrono::milliseconds wait,
             boost::asio::mutable_buffer read_buffer, Handler handler) {
    state_ = state::waiting;
    timer.expires_after(wait);
    do_wait_pause(stream, timer, wait, handler);
    if (!stream.holds_input()) do_wait_readable(stream, timer, read_buffer, std::move(handler));
  }

  // TLS: the read that raced the pause has ended. True when the pause had won and cancelled it:
  // then answer the partial message; otherwise read what it brought (or its error) as usual.
  bool read_ended(steady_timer& timer, const boost::system::error_code& ec) {
    const bool was_pausing = std::exchange(state_, state::off) == state::pausing;
    timer.cancel();
    return was_pausing && ec == boost::asio::error::operation_aborted;
  }

  void stop() { state_ = state::off; }

 private:
  template <class Handler>
  void do_wait_pause(transport& stream, steady_timer& timer, std::chrono::milliseconds wait,
                     Handler handler) {
    timer.async_wait(
        [this, &stream, &timer, wait, handler](const boost::system::error_code& ec) mutable {
          on_pause(ec, stream, timer, wait, std::move(handler));
        });
  }

  template <class Handler>
  void on_pause(const boost::system::error_code& ec, transport& stream, steady_timer& timer,
                std::chrono::milliseconds wait, Handler handler) {
    if (ec || state_ == state::off) return;
    // A wait that had fired before a read re-armed the timer for a later message still runs.
    if (timer.expiry() > std::chrono::steady_clock::now()) return;
    boost::system::error_code ignored;
    stream.socket().cancel(ignored);  // on_readable now sees operation_aborted, and state off
    if (!stream.holds_input()) {
      state_ = state::off;
      return handler(outcome::pause, boost::system::error_code(), std::string_view());
    }
    // The session answers the partial message once its read has ended (read_ended). A TLS read
    // between two of its steps (half a record in, the next socket read not started yet) misses
    // this cancel and reads on; so cancel again after another wait, until the read has ended.
    state_ = state::pausing;
    timer.expires_after(wait);
    do_wait_pause(stream, timer, wait, std::move(handler));
  }

  template <class Handler>
  void do_wait_readable(transport& stream, steady_timer& timer, boost::asio::mutable_buffer into,
                        Handler handler) {
    stream.socket().async_wait(
        tcp_socket::wait_read,
        [this, &stream, &timer, into, handler](const boost::system::error_code& ec) mutable {
          on_readable(ec, stream, timer, into, std::move(handler));
        });
  }

  // The readiness may be stale: the bytes it announced may have been read already, by the read
  // before the wait (which takes whatever is there). Then the wait goes on, and so does the timer,
  // which still counts from the last byte; dropping it here (as "woken for nothing") would leave
  // the message unanswered until more bytes or EOF came.
  template <class Handler>
  void on_readable(const boost::system::error_code& ec, transport& stream, steady_timer& timer,
                   boost::asio::mutable_buffer into, Handler handler) {
    if (state_ != state::waiting) return;
    if (ec) return handler(outcome::failed, ec, std::string_view());
    boost::system::error_code read_ec;
    const std::size_t n = stream.socket().read_some(into, read_ec);
    if (read_ec == boost::asio::error::would_block) {
      return do_wait_readable(stream, timer, into, std::move(handler));
    }
    state_ = state::off;
    timer.cancel();
    handler(outcome::bytes, read_ec, std::string_view(static_cast<const char*>(into.data()), n));
  }

  // off: no wait. waiting: bytes and the pause race. pausing (TLS): the pause won and cancels the
  // session's read until it ends.
  enum class state : std::uint8_t { off, waiting, pausing };
  state state_ = state::off;
};

}  // namespace echo
