#pragma once
// --source: the local addresses outgoing connections and datagrams bind to before connecting, as
// nc -s and iperf3 -B do, round-robin over a list of addresses and ranges ("127.0.0.2,127.0.0.3",
// "127.0.0.1-127.0.0.16", "127.0.0.1-16", "fd00::1-fd00::8"). Parsed once by client_options into
// a value that every mode reads; each connection picks at(i) with its own index, so no state is
// shared between flows (or reactors). Also the churn default: against a loopback target, 16
// loopback sources, because the kernel's search for a free ephemeral port per source address is
// what limits connections/s from one.

#include "common/errors.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace echo {

class source_addresses {
 public:
  // At most this many addresses, all ranges together.
  static constexpr std::size_t max_count = 65'536;

  // The --source text; throws usage_error naming the bad part (an address that is not one, a
  // range that runs backwards, IPv4 mixed with IPv6, more than max_count addresses).
  static source_addresses parse(const std::string& text);

  // 127.0.0.1-127.0.0.16 when `target` is an IPv4 loopback address; empty otherwise (IPv6 has
  // only ::1).
  static source_addresses churn_default(const boost::asio::ip::address& target);

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  bool is_v6() const { return !ranges_.empty() && ranges_.front().first.is_v6(); }
  // The address for connection `index`, round-robin: index modulo size(). Not empty().
  boost::asio::ip::address at(std::size_t index) const;
  // "127.0.0.1-127.0.0.16" or "127.0.0.2,127.0.0.3": the ranges, each in its shortest form.
  std::string describe() const;

 private:
  struct range {
    boost::asio::ip::address first;
    std::size_t count;
  };

  std::vector<range> ranges_;
  std::size_t count_ = 0;
};

// Opens `socket` for `source`'s family and binds it to `source`, port 0. TCP also sets
// IP_BIND_ADDRESS_NO_PORT, so that the port is chosen at connect for the whole 4-tuple, as
// without a bind; otherwise bind() would need a port free on that address for every destination.
boost::system::error_code bind_source(boost::asio::ip::tcp::socket& socket,
                                      const boost::asio::ip::address& source);
boost::system::error_code bind_source(boost::asio::ip::udp::socket& socket,
                                      const boost::asio::ip::address& source);

// A failed bind, worded like the connect failure it replaces, with the same exit code:
// "cannot connect to 127.0.0.1:8888 from 192.0.2.1: cannot assign requested address".
failure source_failure(const boost::system::error_code& ec, const std::string& peer,
                       const boost::asio::ip::address& source);

// Binds a socket to each address in turn (taking no port), so that one not on this host fails
// the run before it starts rather than as errors during it: that one's source_failure.
std::optional<failure> check_sources(const source_addresses& sources, const std::string& peer);

// A usage failure (exit 2) for a server address of the other family than the sources.
failure source_family_failure(const source_addresses& sources, const std::string& server);

}  // namespace echo
