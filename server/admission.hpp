#pragma once
// The PROXY header stage of one connection (--proxy-protocol): fed each read until it decides,
// it parses the header, learns the client's real address, applies --allow/--deny and
// --max-connections-per-ip to it, and says: read more, go on (with the real peer and the bytes
// that followed the header), or close with a typed ending. Made by its session in start() and
// dropped once it has decided; it logs its own events and counts its refusals. No I/O of its own
// but the refusal line.

#include "common/proxy_header.hpp"
#include "server/stats.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <string_view>

namespace echo {

class session;
struct session_context;
class transport;

class admission {
 public:
  struct verdict {
    enum class kind { read_more, admitted, refused };
    kind what;
    ending refusal = ending::refused;  // when refused: the session closes with it
    std::string_view early;            // when admitted: the bytes after the header, in `bytes`
  };

  // `owner`: the session, as the registry knows it (moved to the real address once known).
  admission(const session_context& context, session* owner) : context_(context), owner_(owner) {}

  // One read's result. `peer` becomes the real client once admitted (LOCAL headers keep it);
  // `stream` tells a client refused over the per-address limit why (see transport::refuse).
  verdict feed(const boost::system::error_code& ec, std::string_view bytes,
               boost::asio::ip::tcp::endpoint& peer, transport& stream);

 private:
  verdict deny(const boost::asio::ip::tcp::endpoint& peer) const;

  const session_context& context_;
  session* owner_;
  proxy_header_parser parser_;
};

}  // namespace echo
