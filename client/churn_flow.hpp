#pragma once
// --churn: connect, send one message, read its echo, close; again until the run ends. Latency
// counts from the start of the connect (over TLS the handshake is part of it). Made by bench_load,
// which calls start() once and stop() when the run ends; it owns itself through its pending
// handlers and adds to the bench_state, which must outlive it. A failed connect, handshake, write
// or read counts one error and the loop goes on with a new connection. With state.sources, each
// connection binds to the next source address first.

#include "client/bench_state.hpp"
#include "client/client_stream.hpp"
#include "client/message_pattern.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace echo {

class churn_flow : public std::enable_shared_from_this<churn_flow> {
 public:
  using clock = bench_state::clock;

  churn_flow(boost::asio::io_context& context, bench_state& state, std::uint32_t id);

  // Opens the next connection, unless the run is stopping.
  void start();
  void stop();

 private:
  void on_connected(const boost::system::error_code& ec);
  void on_ready(const boost::system::error_code& ec);
  void do_write();
  void on_written(const boost::system::error_code& ec);
  void do_read();
  void on_echo(const boost::system::error_code& ec);
  void fail();

  client_stream stream_;
  bench_state& state_;
  message_pattern pattern_;
  std::vector<char> message_;
  std::vector<char> echo_;
  clock::time_point started_;
  std::size_t next_source_;  // index into state_.sources
};

}  // namespace echo
