#pragma once
// The TLS handshake stage's gate and record, for the session that runs it (server/transport does
// the handshake itself). A handshake holds its TLS state until it ends, and a client can start one
// with a byte and then stall for the handshake timeout: so past --max-handshakes a client is
// refused at once, without a byte, as refused clients are on a TLS port (see server::refuse).
// Called on the reactor's thread; the session closes when these say no.

#include "server/slot_pool.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace echo {

struct session_context;
class transport;

namespace tls_handshake {

// One of --max-handshakes, held from the TLS state's making to the handshake's end. Empty when
// none is free: the refusal is then counted, and logged through the reactor's refusal throttle.
slot_pool::slot take_slot(const session_context& context,
                          const boost::asio::ip::tcp::endpoint& peer);

// The handshake has ended with `ec`: counts and logs a failure, or logs the protocol and the
// client's certificate. True when it succeeded.
bool record_end(const session_context& context, const boost::asio::ip::tcp::endpoint& peer,
                const transport& stream, const boost::system::error_code& ec);

}  // namespace tls_handshake
}  // namespace echo
