#include "client/udp_socket.hpp"

#include "common/endpoint.hpp"
#include "common/escape.hpp"

#include <boost/asio/error.hpp>

#include <cerrno>

namespace echo {

namespace asio = boost::asio;
using asio::ip::udp;
using boost::system::error_code;

std::variant<udp_target, failure> resolve_udp(const client_options& options) {
  asio::io_context context(1);
  udp::resolver resolver(context);
  error_code ec;
  const auto results =
      resolver.resolve(std::string(strip_brackets(options.host)), std::to_string(options.port), ec);
  if (ec) return resolve_failure(ec, options.host);
  if (results.empty()) return resolve_failure(asio::error::host_not_found, options.host);
  const source_addresses& sources = options.sources;
  for (const auto& entry : results) {
    const udp::endpoint endpoint = entry.endpoint();
    if (!sources.empty() && endpoint.address().is_v6() != sources.is_v6()) continue;
    return udp_target{endpoint, format_endpoint(endpoint.address(), endpoint.port())};
  }
  return source_family_failure(sources, options.host);
}

std::optional<failure> connect_udp(udp::socket& socket, const udp_target& target,
                                   const source_addresses& sources, std::size_t source_index) {
  error_code ec;
  socket.open(target.endpoint.protocol(), ec);
  if (!ec && !sources.empty()) {
    const asio::ip::address source = sources.at(source_index);
    if (const error_code bind_ec = bind_source(socket, source)) {
      return source_failure(bind_ec, target.peer, source);
    }
  }
  if (!ec) socket.non_blocking(true, ec);
  if (!ec) socket.connect(target.endpoint, ec);
  if (ec) return connect_failure(ec, target.peer);
  return std::nullopt;
}

failure udp_failure(const error_code& ec, const std::string& peer) {
  if (ec == asio::error::connection_refused) {
    return {exit_code::connection_refused,
            "no UDP server at " + escape_for_log(peer) + ": port unreachable (is it running?)"};
  }
  return {exit_code::failure, "UDP to " + escape_for_log(peer) + ": " + lower_message(ec)};
}

udp_batch::udp_batch(std::size_t capacity, std::size_t size)
    : size_(size), buffers_(capacity * size), vectors_(capacity), headers_(capacity) {
  for (std::size_t i = 0; i < capacity; ++i) {
    vectors_[i] = iovec{data(i), size_};
    headers_[i] = mmsghdr{};
    headers_[i].msg_hdr.msg_iov = &vectors_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
  }
}

void udp_batch::set_length(std::size_t i, std::size_t n) {
  vectors_[i].iov_len = n;
  headers_[i].msg_len = static_cast<unsigned>(n);
}

std::size_t udp_batch::receive(int fd, error_code& ec) {
  ec.clear();
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    vectors_[i].iov_len = size_;
    headers_[i].msg_hdr.msg_flags = 0;
  }
  const int n = ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(headers_.size()),
                           MSG_DONTWAIT, nullptr);
  if (n >= 0) return static_cast<std::size_t>(n);
  ec = error_code(errno, boost::system::system_category());
  return 0;
}

std::size_t udp_batch::send(int fd, std::size_t from, std::size_t to, error_code& ec) {
  ec.clear();
  if (from >= to) return 0;
  const int n =
      ::sendmmsg(fd, headers_.data() + from, static_cast<unsigned>(to - from), MSG_DONTWAIT);
  if (n >= 0) return static_cast<std::size_t>(n);
  ec = error_code(errno, boost::system::system_category());
  return 0;
}

}  // namespace echo
