#pragma once
// A session's state and how it ends: where it is (one phase, which every handler checks first;
// one value, so no combination of situations can mean nothing), the timeout each phase is under
// (session::check_timeouts asks here at each sweep), and the ending an error means. Plain
// functions of the session's values: no I/O but the timeout's log line.

#include "server/stats.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>

namespace echo {

struct session_context;

enum class phase : std::uint8_t {
  admission,          // reading the PROXY header
  handshake,          // TLS: awaiting the ClientHello, then the handshake
  reading,            // a read is pending (or about to be)
  awaiting_rest,      // a partial message: more bytes race a pause (server/message_wait)
  writing,            // a reply is being written; nothing is read meanwhile
  writing_last,       // the client sent EOF: finish once this reply is written
  writing_then_stop,  // stop() came during a write: close once it is written
  finishing,          // the last reply is written: close_notify, or a lingering close
  closed,
};

struct deadline {
  std::uint64_t ticks;  // sweep ticks of no activity allowed (0: no limit)
  ending why;           // the ending past them

  // Strictly more than `ticks` since the last activity: a tick may come just after the activity
  // it follows.
  bool is_past(std::uint64_t last_activity, std::uint64_t now) const {
    return ticks != 0 && now - last_activity > ticks;
  }
};

// The deadline in phase `p`, from the reactor's timeouts.
deadline deadline_of(phase p, const session_context& context);
// How an error code ends a connection: the normal ways have endings of their own.
ending ending_for(const boost::system::error_code& ec);

// A session in phase `p` is past its deadline: counts it (over TLS, a handshake timeout is a failed
// handshake too) and logs a handshake timeout. The session closes with the deadline's ending.
void record_timeout(phase p, const session_context& context,
                    const boost::asio::ip::tcp::endpoint& peer);

}  // namespace echo
