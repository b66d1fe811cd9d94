#pragma once
// The client's UDP plumbing, shared by every -u mode: resolving the server to one datagram
// endpoint, a connect()ed UDP socket (so only the server's datagrams reach us, and an ICMP port
// unreachable comes back as ECONNREFUSED), the one-line wording of UDP failures, and udp_batch:
// datagram buffers allocated once, sent with sendmmsg and filled with recvmmsg. Plain functions
// and one value class; the modes own their sockets and batches.

#include "client/client_options.hpp"
#include "common/errors.hpp"

#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace echo {

// The largest UDP payloads: 65,535 less the IPv4 and UDP headers; IPv6's length field does not
// count its own 40-byte header, so 65,535 less the UDP header's 8.
constexpr std::size_t max_udp_payload_v4 = 65'507;
constexpr std::size_t max_udp_payload_v6 = 65'527;

struct udp_target {
  boost::asio::ip::udp::endpoint endpoint;
  std::string peer;  // "127.0.0.1:8888", as errors name it

  std::size_t max_payload() const {
    return endpoint.address().is_v6() ? max_udp_payload_v6 : max_udp_payload_v4;
  }
};

// The options' host and port as one datagram endpoint (a name: its first address, of the
// --source family when given), or the resolve_failure. Resolves synchronously: the UDP modes have
// nothing else to do meanwhile.
std::variant<udp_target, failure> resolve_udp(const client_options& options);

// Opens `socket` non-blocking, binds it to sources.at(source_index) unless `sources` is empty,
// and connects it to `target`; no datagram is sent. A failure (network unreachable, a source
// address not on this host) is worded like a TCP connect failure.
std::optional<failure> connect_udp(boost::asio::ip::udp::socket& socket, const udp_target& target,
                                   const source_addresses& sources, std::size_t source_index = 0);

// A send or receive that failed: ECONNREFUSED (an ICMP port unreachable for an earlier datagram:
// nothing listens there) is exit 3, anything else exit 1; both name the peer.
failure udp_failure(const boost::system::error_code& ec, const std::string& peer);

// `capacity` datagram buffers of `size` bytes each, with the mmsghdr and iovec arrays recvmmsg
// and sendmmsg take, allocated once by the constructor: nothing is allocated per datagram.
class udp_batch {
 public:
  udp_batch(std::size_t capacity, std::size_t size);
  udp_batch(const udp_batch&) = delete;
  udp_batch& operator=(const udp_batch&) = delete;

  std::size_t capacity() const { return headers_.size(); }
  std::size_t buffer_size() const { return size_; }
  char* data(std::size_t i) { return buffers_.data() + i * size_; }
  // Received: the datagram's length; to send: the length set by set_length.
  std::size_t length(std::size_t i) const { return headers_[i].msg_len; }
  // Received datagrams longer than buffer_size() arrive cut, and are flagged so.
  bool is_truncated(std::size_t i) const {
    return (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
  }
  void set_length(std::size_t i, std::size_t n);

  // Fills buffers 0.. with the datagrams waiting on `fd` (at most capacity()) without blocking,
  // and returns how many; 0 with ec would_block when none wait.
  std::size_t receive(int fd, boost::system::error_code& ec);
  // Sends buffers [from, to) without blocking, and returns how many went; ec is set (would_block:
  // the send buffer is full) when the first of them could not.
  std::size_t send(int fd, std::size_t from, std::size_t to, boost::system::error_code& ec);

 private:
  std::size_t size_;
  std::vector<char> buffers_;
  std::vector<iovec> vectors_;
  std::vector<mmsghdr> headers_;
};

}  // namespace echo
