#include "server/admission.hpp"

#include "common/endpoint.hpp"
#include "server/access.hpp"
#include "server/events.hpp"
#include "server/session.hpp"
#include "server/session_registry.hpp"
#include "server/transport.hpp"

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;
using kind = admission::verdict::kind;

// --allow/--deny turned the client away: counted, logged (throttled, as the listener's refusals)
// and closed without a byte.
admission::verdict admission::deny(const asio::ip::tcp::endpoint& peer) const {
  context_.counters.count_refusal(refusal::denied);
  if (context_.refusal_log.admit()) {
    events::refused(context_.log, format_endpoint(peer), refusal::denied, "denied (--allow/--deny)",
                    context_.refusal_log.held_back());
  }
  return {kind::refused, ending::refused, {}};
}

admission::verdict admission::feed(const error_code& ec, std::string_view bytes,
                                   asio::ip::tcp::endpoint& peer, transport& stream) {
  if (ec) {
    events::proxy_header_missing(context_.log, peer, ec);
    return {kind::refused, ending::no_proxy_header, {}};
  }
  using status = proxy_header_parser::status;
  const status result = parser_.feed(bytes);
  if (result == status::need_more) return {kind::read_more, ending::refused, {}};
  if (result == status::error) {
    events::proxy_header_error(context_.log, peer, parser_.error());
    return {kind::refused, ending::bad_proxy_header, {}};
  }
  const proxy_header& header = parser_.header();
  const verdict admitted{kind::admitted, ending::refused, bytes.substr(parser_.consumed())};
  // A LOCAL header (the proxy's own health check) is judged by the proxy's address.
  if (header.is_local) return is_permitted(context_.access, peer.address()) ? admitted : deny(peer);
  error_code address_ec;
  const auto address = asio::ip::make_address(header.source_address, address_ec);
  if (address_ec) {  // the parser checked it already; kept for safety
    events::proxy_header_bad_address(context_.log, peer);
    return {kind::refused, ending::bad_proxy_header, {}};
  }
  const asio::ip::tcp::endpoint proxy = peer;
  context_.registry.move(owner_, peer.address(), address);
  peer = asio::ip::tcp::endpoint(address, header.source_port);
  events::proxy_header(context_.log, peer, proxy, header.version);
  if (!is_permitted(context_.access, address)) return deny(peer);
  const std::size_t limit = context_.max_connections_per_ip;
  if (limit != 0 && context_.registry.count_from(address) > limit) {
    context_.counters.count_refusal(refusal::per_ip);
    events::refused_per_ip(context_.log, peer, limit);
    stream.refuse();
    return {kind::refused, ending::refused, {}};
  }
  return admitted;
}

}  // namespace echo
