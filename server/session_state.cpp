#include "server/session_state.hpp"

#include "server/events.hpp"
#include "server/session.hpp"

#include <boost/asio/error.hpp>

namespace echo {

deadline deadline_of(phase p, const session_context& context) {
  switch (p) {
    case phase::admission:
    case phase::handshake:
      return {context.handshake_timeout_ticks, ending::handshake_timeout};
    // While a write is pending, the last activity is when it started: the client has taken
    // nothing of it since.
    case phase::writing:
    case phase::writing_last:
    case phase::writing_then_stop:
      return {context.write_timeout_ticks, ending::write_timeout};
    case phase::reading:
    case phase::awaiting_rest:
    case phase::finishing:
    case phase::closed:
      break;
  }
  return {context.idle_timeout_ticks, ending::idle_timeout};
}

ending ending_for(const boost::system::error_code& ec) {
  namespace error = boost::asio::error;
  if (ec == error::eof) return ending::eof;
  if (ec == error::connection_reset) return ending::reset;
  if (ec == error::broken_pipe) return ending::peer_stopped_reading;
  return ending::error;
}

void record_timeout(phase p, const session_context& context,
                    const boost::asio::ip::tcp::endpoint& peer) {
  ++context.counters.timed_out;
  if (p == phase::handshake) ++context.counters.tls_handshake_failures;  // not on_handshake
  if (p == phase::admission || p == phase::handshake) {
    events::handshake_timeout(context.log, peer, p == phase::admission);
  }
}

}  // namespace echo
