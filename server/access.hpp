#pragma once
// --allow and --deny for both protocols: the filter built once from the options' rules, and the
// one lookup a connection (at accept, or by its PROXY header's address) or a datagram costs. The
// rules and their verdict are common/address_filter's; this file only joins it to Asio's
// addresses and the options.

#include "common/address_filter.hpp"

#include <boost/asio/ip/address.hpp>

#include <string>
#include <vector>

namespace echo {

// The filter of the rules as the options hold them ("10.0.0.0/8", "::1"); each was checked by
// parse_cidr when the options were read, so none fails here.
address_filter make_access_filter(const std::vector<std::string>& allow,
                                  const std::vector<std::string>& deny);

inline address_bytes to_address_bytes(const boost::asio::ip::address& address) {
  return address.is_v4() ? make_v4_address(address.to_v4().to_bytes())
                         : make_v6_address(address.to_v6().to_bytes());
}

// True when the filter lets `peer` in; an empty filter costs one branch.
inline bool is_permitted(const address_filter& filter, const boost::asio::ip::address& peer) {
  return filter.is_empty() || filter.permits(to_address_bytes(peer));
}

}  // namespace echo
