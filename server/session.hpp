#pragma once
// One accepted connection: read -> reply policy -> write everything it produced -> read again.
// A read is never started while a write is pending, so a client that never reads cannot make the
// server hold more than one read buffer and one reply for it (in line modes: the read's input not
// answered yet, and one bounded piece of its replies; see reply_policy).
//
// It talks to a transport (server/transport: plain TCP, or TLS with a handshake first and a
// close_notify at the end) and never asks which. The TLS state (about 85 KiB with Asio's and
// OpenSSL's buffers) is made only once the client has sent something, and only while fewer than
// --max-handshakes are in progress, so clients that connect and say nothing cost what plain ones
// do. With --proxy-protocol a PROXY header is read before anything else (before the handshake
// too) and names the client for the logs and the per-address limit. Both steps are bounded by
// the handshake timeout.
//
// Created by the listener with std::make_shared and start(); owns itself through the handlers of
// its pending operations and dies when the last one returns without starting another. Its
// destructor writes the "closed" log line, updates the stats and leaves the registry, so each
// happens exactly once whatever the path. stop() and close() may be called at any time from the
// reactor's thread (the registry does so at shutdown).

#include "common/address_filter.hpp"
#include "common/log.hpp"
#include "common/reply_policy.hpp"
#include "server/first_bytes.hpp"
#include "server/impaired_stream.hpp"
#include "server/impairment.hpp"
#include "server/message_wait.hpp"
#include "server/outbox.hpp"
#include "server/session_state.hpp"
#include "server/slot_pool.hpp"
#include "server/socket.hpp"
#include "server/stats.hpp"
#include "server/transport.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace echo {

class session_registry;
class admission;

// What every session of one reactor shares; all of it outlives the sessions.
struct session_context {
  const reply_config& reply;
  std::chrono::milliseconds message_wait;  // see server_options::message_wait
  // Timeouts in sweep ticks (one a second; 0: never), and the tick count now. A session notes the
  // tick of its last activity, which costs a load and a store per message; the server's sweep
  // compares (see session_registry::check_timeouts).
  std::uint64_t idle_timeout_ticks;
  std::uint64_t write_timeout_ticks;
  std::uint64_t handshake_timeout_ticks;  // a PROXY header and a TLS handshake, each
  const std::uint64_t& now_tick;
  // The reactor's one read buffer. A session reads into it only once its socket is readable and
  // keeps nothing in it across handlers, so idle sessions need no buffer of their own.
  char* read_buffer;
  std::size_t read_buffer_size;
  const logger& log;
  stats& counters;
  session_registry& registry;
  boost::asio::ssl::context* tls;  // null: plain TCP
  // --max-handshakes, the process's: a TLS session holds a slot from its first byte to the end of
  // its handshake. A refusal is logged through the reactor's refusal throttle.
  slot_pool& handshakes;
  log_throttle& refusal_log;
  bool is_proxy_protocol;                 // a PROXY v1/v2 header comes first
  std::size_t max_connections_per_ip;     // 0: none; checked here only behind a PROXY header
  const address_filter& access;           // --allow/--deny; checked here only behind a PROXY header
  impairment::reactor_state& impairment;  // the reactor's: off unless an impairment is set
};

class session : public std::enable_shared_from_this<session> {
 public:
  // How long a closing session keeps reading (and discarding) so that its last reply is not
  // destroyed by a reset; see finish().
  static constexpr std::chrono::seconds linger_timeout{2};

  // `connection`: the slot of --max-connections the session holds until it is destroyed.
  session(tcp_socket socket, const boost::asio::ip::tcp::endpoint& peer, slot_pool::slot connection,
          const session_context& context);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void start();
  // Graceful shutdown: read no more, and close once the pending write, if any, has completed.
  void stop();
  // Closes now. Idempotent: the first ending is the one logged and counted. `ec`: the error that
  // ended it, for ending::error's wording.
  void close(ending why, const boost::system::error_code& ec = {});
  // Closes the session when it has been idle, or stuck on a write, for too long.
  void check_timeouts(std::uint64_t now);

 private:
  void do_read_proxy_header();
  void on_proxy_header(const boost::system::error_code& ec, std::size_t n);
  void on_connected(std::string_view early_data);
  void on_hello_ready(const boost::system::error_code& ec);
  void do_handshake(std::string_view early_data);
  void on_handshake(const boost::system::error_code& ec);
  void do_read();
  void on_first_bytes(const boost::system::error_code& ec, std::size_t n);
  void on_read(const boost::system::error_code& ec, std::string_view data);
  void on_end_of_stream();
  void do_next();
  void do_await_rest();
  void on_rest(message_wait::outcome won, const boost::system::error_code& ec,
               std::string_view data);
  void answer_partial();
  void do_write(std::string_view bytes);
  void on_write(const boost::system::error_code& ec, std::size_t n);
  void note_written(std::size_t n);
  bool is_impaired() const;
  bool stage_holds() const;
  void do_impaired_write(std::string_view bytes);
  void on_held();
  void do_reply_rest();
  void finish(ending why);
  // The reactor's read buffer, which no session keeps anything in across handlers.
  boost::asio::mutable_buffer shared_buffer() const {
    return boost::asio::buffer(context_.read_buffer, context_.read_buffer_size);
  }
  // Made on first use: see on_demand_.
  steady_timer& timer() { return parts().timer; }
  impaired_stream& impaired();

  // What most sessions never need (a pause in a line mode, a lingering close, an impairment), made
  // on first use, so that an idle session is smaller without it.
  struct on_demand {
    explicit on_demand(const executor& e) : timer(e) {}
    steady_timer timer;
    std::unique_ptr<impaired_stream> impaired;  // the impairment stage, once one was on
  };
  on_demand& parts() {
    if (!on_demand_) on_demand_ = std::make_unique<on_demand>(transport_.socket().get_executor());
    return *on_demand_;
  }

  slot_pool::slot connection_slot_;
  transport transport_;
  slot_pool::slot handshake_slot_;  // from the TLS state's making to the handshake's end
  // Only until the PROXY header stage has decided.
  std::unique_ptr<admission> admission_;
  std::unique_ptr<on_demand> on_demand_;
  const session_context& context_;
  reply_policy policy_;
  boost::asio::ip::tcp::endpoint peer_;  // formatted only for a log line (server/events)
  std::uint64_t last_activity_tick_;
  std::chrono::steady_clock::time_point started_;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  phase phase_ = phase::reading;   // see server/session_state
  message_wait wait_;              // only in phase::awaiting_rest
  ending ending_ = ending::error;  // see close()
  boost::system::error_code ending_error_;
  outbox outbox_;
  first_bytes first_bytes_;
};

}  // namespace echo
