#pragma once
// A reply on its way to the transport. It may lie in the reactor's shared read buffer, which the
// next readable session reuses: so what the socket takes now is written from there at once, and
// only a rest it did not take is copied here and written when the socket has room. This is the
// only buffer a session owns, and a reply waiting in it is why its session reads nothing more
// (backpressure). A member of its session; reactor thread only.

#include "server/transport.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string_view>
#include <vector>

namespace echo {

class outbox {
 public:
  // The buffer is kept for the next wait up to this size, and a larger one freed once written,
  // so a connection that once had a large reply waiting does not keep its memory.
  static constexpr std::size_t kept_capacity = 1024;

  // Writes what the socket takes of `bytes` now and returns the count; unless that was all (or
  // `ec` is set), the rest is kept here for async_write_rest.
  std::size_t write_now(transport& stream, std::string_view bytes, boost::system::error_code& ec) {
    const std::size_t n = stream.write_now(bytes, ec);
    if (ec || n == bytes.size()) return n;
    unsent_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(n), bytes.end());
    sent_at_once_ = n;
    return n;
  }
  // handler(error_code, bytes of the reply written, at once and since).
  template <class Handler>
  void async_write_rest(transport& stream, Handler handler) {
    stream.async_write(boost::asio::buffer(unsent_),
                       [this, handler](const boost::system::error_code& ec, std::size_t n) mutable {
                         handler(ec, sent_at_once_ + n);
                       });
  }

  void release_memory() {
    if (unsent_.capacity() > kept_capacity) std::vector<char>().swap(unsent_);
  }

 private:
  std::vector<char> unsent_;
  std::size_t sent_at_once_ = 0;
};

}  // namespace echo
