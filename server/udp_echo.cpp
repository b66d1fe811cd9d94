#include "server/udp_echo.hpp"

#include "common/endpoint.hpp"
#include "common/errors.hpp"
#include "server/events.hpp"
#include "server/socket.hpp"

#include <netinet/in.h>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace echo {

namespace asio = boost::asio;
using asio::ip::udp;
using boost::system::error_code;

namespace {

// "\r\n", "\n" or "": the line ending a datagram carries, which an ack keeps (as over TCP).
std::string_view line_ending(const char* data, std::size_t size) {
  if (size >= 2 && data[size - 2] == '\r' && data[size - 1] == '\n') return "\r\n";
  if (size >= 1 && data[size - 1] == '\n') return "\n";
  return {};
}

iovec piece(const void* data, std::size_t size) { return {const_cast<void*>(data), size}; }

// As the logs write any peer: "127.0.0.1:5353", "[::1]:5353".
std::string format_source(const sockaddr_storage& source) {
  udp::endpoint endpoint;
  const std::size_t size = source.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  std::memcpy(endpoint.data(), &source, size);
  return format_endpoint(endpoint.address(), endpoint.port());
}

}  // namespace

udp_echo::udp_echo(asio::io_context& context, const reply_config& reply, udp_admission& admission,
                   impairment::reactor_state& impairment, const logger& log, stats& counters,
                   std::size_t slot_size)
    : socket_(context),
      reply_(reply),
      admission_(admission),
      log_(log),
      counters_(counters),
      slot_size_(slot_size),
      impairment_(context, impairment, counters,
                  [this](mmsghdr* messages, std::size_t count) { send_replies(messages, count); }) {
}

std::optional<std::string> udp_echo::open(const udp::endpoint& endpoint, bool is_port_shared) {
  const std::string where = format_endpoint(endpoint.address(), endpoint.port()) + " (udp)";
  error_code ec;
  socket_.open(endpoint.protocol(), ec);
  if (!ec && is_port_shared) socket_.set_option(reuse_port(true), ec);
  if (!ec) socket_.bind(endpoint, ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) {
    error_code ignored;
    socket_.close(ignored);
    return describe_listen_error(ec, where);
  }
  return std::nullopt;
}

std::optional<std::string> udp_echo::adopt(int fd) {
  const std::string what = "descriptor " + std::to_string(fd) + " passed by socket activation";
  const int domain = socket_option(fd, SO_DOMAIN);
  if (socket_option(fd, SO_TYPE) != SOCK_DGRAM || socket_option(fd, SO_PROTOCOL) != IPPROTO_UDP ||
      (domain != AF_INET && domain != AF_INET6)) {
    return what + " is not a UDP socket (ListenDatagram= needs an address or a port)";
  }
  error_code ec;
  socket_.assign(domain == AF_INET ? udp::v4() : udp::v6(), fd, ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) return "cannot use " + what + ": " + lower_message(ec);
  return std::nullopt;
}

udp::endpoint udp_echo::local_endpoint() const {
  error_code ec;
  return socket_.local_endpoint(ec);
}

// The buffers are set up once: each receive slot keeps its iovec and its source address for good;
// recvmmsg only rewrites the lengths.
void udp_echo::start() {
  counters_.has_udp = true;
  slots_.reset(new char[batch * slot_size_]);  // not value-initialised: pages stay untouched
  for (std::size_t i = 0; i < batch; ++i) {
    in_iov_[i] = piece(slots_.get() + i * slot_size_, slot_size_);
    in_[i].msg_hdr.msg_iov = &in_iov_[i];
    in_[i].msg_hdr.msg_iovlen = 1;
    in_[i].msg_hdr.msg_name = &sources_[i];
  }
  do_wait();
}

// Held replies are dropped: a datagram is answered now or not at all.
void udp_echo::close() {
  is_closed_ = true;
  impairment_.close();
  error_code ignored;
  socket_.close(ignored);
}

void udp_echo::do_wait() {
  socket_.async_wait(udp::socket::wait_read, [this](const error_code& ec) {
    if (ec || is_closed_) return;  // closed
    drain();
  });
}

// A full batch may mean more are waiting: drain on, but after batches_per_turn let the reactor's
// other handlers run first (post), so a flood of datagrams cannot starve the TCP sessions.
void udp_echo::drain() {
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t turn = 0; turn < batches_per_turn; ++turn) {
    if (echo_batch(now) < batch) return do_wait();
  }
  asio::post(socket_.get_executor(), [this] {
    if (!is_closed_) drain();
  });
}

std::size_t udp_echo::echo_batch(std::chrono::steady_clock::time_point now) {
  for (std::size_t i = 0; i < batch; ++i) {
    in_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    in_[i].msg_hdr.msg_flags = 0;
  }
  const int received =
      ::recvmmsg(socket_.native_handle(), in_.data(), batch, MSG_DONTWAIT, nullptr);
  if (received <= 0) {
    if (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && error_log_.admit()) {
      log_.warning("udp: receive failed: " + std::string(std::strerror(errno)));
    }
    return 0;
  }
  const auto count = static_cast<std::size_t>(received);
  std::size_t replies = 0;
  for (std::size_t i = 0; i < count; ++i) {
    ++counters_.udp_datagrams_in;
    counters_.udp_bytes_in += in_[i].msg_len;
    if (prepare_reply(i, replies, now)) ++replies;
  }
  if (impairment_.is_active()) replies = impairment_.filter(out_.data(), replies, now);
  send_replies(out_.data(), replies);
  return count;
}

bool udp_echo::prepare_reply(std::size_t i, std::size_t replies,
                             std::chrono::steady_clock::time_point now) {
  const msghdr& in = in_[i].msg_hdr;
  if ((in.msg_flags & MSG_TRUNC) != 0) {
    counters_.count_udp_drop(udp_drop::truncated);
    return false;
  }
  if (const auto drop = admission_.check(sources_[i], now)) {
    counters_.count_udp_drop(*drop);
    return false;
  }
  if (log_.is_enabled(log_level::debug)) log_datagram(i);
  const char* data = slots_.get() + i * slot_size_;
  const std::size_t size = in_[i].msg_len;
  std::array<iovec, 2>& iov = out_iov_[replies];
  std::size_t pieces = 1;
  switch (reply_.mode) {
    case reply_mode::echo:
      iov[0] = piece(data, size);
      break;
    case reply_mode::prefix:
      iov[0] = piece(reply_.prefix.data(), reply_.prefix.size());
      iov[1] = piece(data, size);
      pieces = 2;
      break;
    case reply_mode::ack: {
      const std::string_view ending = line_ending(data, size);
      iov[0] = piece(reply_.ack.data(), reply_.ack.size());
      iov[1] = piece(ending.data(), ending.size());
      pieces = 2;
      break;
    }
  }
  // The largest UDP payload: 65,507 bytes over IPv4, 65,527 over IPv6.
  const std::size_t largest = sources_[i].ss_family == AF_INET ? 65'507 : 65'527;
  if (iov[0].iov_len + (pieces == 2 ? iov[1].iov_len : 0) > largest) {
    counters_.count_udp_drop(udp_drop::too_large);
    return false;
  }
  msghdr& out = out_[replies].msg_hdr;
  out.msg_name = &sources_[i];
  out.msg_namelen = in.msg_namelen;
  out.msg_iov = iov.data();
  out.msg_iovlen = pieces;
  out.msg_control = nullptr;
  out.msg_controllen = 0;
  out.msg_flags = 0;
  return true;
}

// Whatever the socket cannot take at once is dropped: a reply never waits for the send buffer.
// The impairment stage's held replies come here too, once due.
void udp_echo::send_replies(mmsghdr* messages, std::size_t count) {
  std::size_t next = 0;
  while (next < count) {
    const int sent = ::sendmmsg(socket_.native_handle(), messages + next,
                                static_cast<unsigned>(count - next), MSG_DONTWAIT);
    if (sent > 0) {
      for (std::size_t i = next; i < next + static_cast<std::size_t>(sent); ++i) {
        ++counters_.udp_datagrams_out;
        counters_.udp_bytes_out += messages[i].msg_len;
      }
      next += static_cast<std::size_t>(sent);
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      for (; next < count; ++next) counters_.count_udp_drop(udp_drop::send_buffer_full);
      return;
    }
    // This one reply failed (an address the route refuses, say): drop it, send the rest.
    if (error_log_.admit()) {
      log_.warning("udp: reply to " +
                   format_source(*static_cast<sockaddr_storage*>(messages[next].msg_hdr.msg_name)) +
                   " failed: " + std::string(std::strerror(errno)));
    }
    counters_.count_udp_drop(udp_drop::error);
    ++next;
  }
}

void udp_echo::log_datagram(std::size_t i) const {
  events::datagram(log_, format_source(sources_[i]),
                   std::string_view(slots_.get() + i * slot_size_, in_[i].msg_len));
}

}  // namespace echo
