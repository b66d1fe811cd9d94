#pragma once
// The socket, acceptor and timer types of the server. They are bound to the io_context's own
// executor rather than to the polymorphic any_io_executor: each object is 48 bytes smaller, and
// so is every pending operation's handler, which together are most of what an idle connection
// costs (issue #5, scenario f).

#include <sys/socket.h>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>

namespace echo {

using executor = boost::asio::io_context::executor_type;
using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor>;
using tcp_acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, executor>;
using steady_timer = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, executor>;

// SO_REUSEPORT, which Asio does not name: each worker's TCP listener and UDP socket bind the port.
using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// An int SOL_SOCKET option of fd (SO_TYPE, SO_DOMAIN...), or -1 when it cannot be read (fd is not
// a socket, say): how a socket passed by systemd is recognised.
inline int socket_option(int fd, int name) {
  int value = 0;
  socklen_t size = sizeof value;
  return ::getsockopt(fd, SOL_SOCKET, name, &value, &size) == 0 ? value : -1;
}

}  // namespace echo
