#include "server/tls_handshake.hpp"

#include "server/events.hpp"
#include "server/session.hpp"
#include "server/transport.hpp"

namespace echo::tls_handshake {

slot_pool::slot take_slot(const session_context& context,
                          const boost::asio::ip::tcp::endpoint& peer) {
  slot_pool::slot slot = context.handshakes.try_take();
  if (slot) return slot;
  context.counters.count_refusal(refusal::max_handshakes);
  log_throttle& throttle = context.refusal_log;
  if (throttle.admit()) {
    events::refused_max_handshakes(context.log, peer, context.handshakes.limit(),
                                   throttle.held_back());
  }
  return slot;
}

bool record_end(const session_context& context, const boost::asio::ip::tcp::endpoint& peer,
                const transport& stream, const boost::system::error_code& ec) {
  if (ec) {
    ++context.counters.tls_handshake_failures;
    events::handshake_failed(context.log, peer, ec);
    return false;
  }
  events::tls(context.log, peer, stream.tls_protocol(), stream.peer_certificate());
  return true;
}

}  // namespace echo::tls_handshake
