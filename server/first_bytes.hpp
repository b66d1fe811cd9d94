#pragma once
// Where a session's reads land first: a small buffer of its own, not the reactor's shared one (an
// async read may complete into its buffer while other sessions' handlers run). Whatever else is
// there is read into the shared buffer only once that read has completed, so an idle connection
// holds these 128 bytes, not a read buffer. A read that fills them costs a second read, most often
// answered EAGAIN; at 128 bytes that happens only for messages longer than a typical line or a
// 64-byte benchmark ping. (Waiting for readability with async_wait instead would cost an epoll_ctl
// per message: Asio 1.81 re-arms the descriptor for every wait, but not for a read that is tried
// first.) A member of its session, which also reads the PROXY header into it.

#include "server/transport.hpp"

#include <boost/asio/buffer.hpp>

#include <array>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace echo {

class first_bytes {
 public:
  boost::asio::mutable_buffer buffer() { return boost::asio::buffer(bytes_); }
  std::string_view view(std::size_t n) const { return {bytes_.data(), n}; }

  // What a read of `n` bytes brought, and whatever else is there now (an error shows again on
  // the next read). A short read is all there is: it stays here, with no copy. Otherwise it is
  // copied to `shared` and what `stream` has now is read after it. Valid until the next read.
  std::string_view take(std::size_t n, transport& stream, boost::asio::mutable_buffer shared) {
    if (n < bytes_.size()) return view(n);
    std::memcpy(shared.data(), bytes_.data(), n);
    return {static_cast<const char*>(shared.data()), n + stream.read_available(shared + n)};
  }

 private:
  std::array<char, 128> bytes_;
};

}  // namespace echo
