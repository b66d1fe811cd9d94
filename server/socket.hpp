#pragma once
// The socket, acceptor and timer types of the server. They are bound to the io_context's own
// executor rather than to the polymorphic any_io_executor: each object is 48 bytes smaller, and
// so is every pending operation's handler, which together are most of what an idle connection
// costs (issue #5, scenario f).

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

}  // namespace echo
