#pragma once
// UDP echo, RFC 862's other half: one datagram socket per reactor, beside (or instead of) the TCP
// listener, sharing nothing with the TCP sessions but the reactor and the counters.
//
//   wait readable -> drain: recvmmsg a batch -> each datagram: admit? -> reply -> sendmmsg the
//   batch
//        ^                                                                            |
//        +------- fewer than a batch (the socket is empty) ----------------------------+
//                 a full batch: again, at most batches_per_turn, then post the rest
//
// One datagram is one message: `echo` sends it back byte-exact, `prefix` sends prefix + datagram,
// `ack` sends the ack text with the datagram's own line ending. So a reply is never larger than
// its datagram plus the prefix or ack text (at most max_reply_text bytes more).
//
// Nothing is allocated per datagram: the buffers are the reactor's, allocated once at open (64 KiB
// a slot, touched only as far as datagrams fill them). Nothing is queued either: a reply the
// socket's send buffer cannot take at once (EAGAIN) is dropped and counted, as a router would.
//
// Impairment (--loss, --delay, --jitter, --throttle, or the admin endpoint at run time): while any
// is on, each batch of replies goes through udp_impairment before sendmmsg, which drops some and
// holds some in its bounded queue (sent later by its timer, through the same send_replies). While
// all are off, the batch pays one test.
//
// Safe to expose (see udp_admission.hpp): datagrams from ports below 1024 or port 0 are never
// answered (echo <-> chargen loops, reflection off well-known services), unless allow_low_ports;
// --allow/--deny and the rate limits apply to each datagram before any reply is built.

#include "common/log.hpp"
#include "common/reply_policy.hpp"
#include "server/impairment.hpp"
#include "server/stats.hpp"
#include "server/udp_admission.hpp"
#include "server/udp_impairment.hpp"

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace echo {

class udp_echo {
 public:
  // Datagrams per recvmmsg/sendmmsg, and batches one turn of the reactor drains before it lets
  // the TCP sessions run: 256 datagrams, a few hundred microseconds at most.
  static constexpr std::size_t batch = 64;
  static constexpr std::size_t batches_per_turn = 4;
  // The largest UDP payload is 65,527 bytes (IPv6; 65,507 over IPv4): a slot of 64 KiB takes any
  // datagram whole. Tests pass a smaller one to see truncated datagrams dropped.
  static constexpr std::size_t default_slot_size = 64 * 1024;

  udp_echo(boost::asio::io_context& context, const reply_config& reply, udp_admission& admission,
           impairment::reactor_state& impairment, const logger& log, stats& counters,
           std::size_t slot_size = default_slot_size);
  udp_echo(const udp_echo&) = delete;
  udp_echo& operator=(const udp_echo&) = delete;

  // Opens and binds (SO_REUSEPORT with is_port_shared, as the workers' listeners). Returns the
  // one-line reason on failure ("address ... already in use").
  std::optional<std::string> open(const boost::asio::ip::udp::endpoint& endpoint,
                                  bool is_port_shared);
  // Serves a bound datagram socket passed by systemd (ListenDatagram=). Takes fd on success.
  std::optional<std::string> adopt(int fd);
  boost::asio::ip::udp::endpoint local_endpoint() const;
  bool is_open() const { return socket_.is_open(); }

  void start();
  void close();

 private:
  void do_wait();
  void drain();
  // One recvmmsg and the sendmmsg of its replies; returns the datagrams received (0: none left).
  std::size_t echo_batch(std::chrono::steady_clock::time_point now);
  // Fills replies_[sent] for datagram i, or counts why it gets none. Returns whether it replies.
  bool prepare_reply(std::size_t i, std::size_t replies, std::chrono::steady_clock::time_point now);
  // Sends messages[0..count): this batch's replies, or the impairment stage's held ones.
  void send_replies(mmsghdr* messages, std::size_t count);
  void log_datagram(std::size_t i) const;

  boost::asio::ip::udp::socket socket_;
  const reply_config& reply_;
  udp_admission& admission_;
  const logger& log_;
  stats& counters_;
  const std::size_t slot_size_;
  std::unique_ptr<char[]> slots_;  // batch x slot_size_, allocated once at open
  std::array<sockaddr_storage, batch> sources_{};
  std::array<iovec, batch> in_iov_{};
  std::array<mmsghdr, batch> in_{};
  // Two pieces per reply at most: prefix + datagram, or ack text + the datagram's line ending.
  std::array<std::array<iovec, 2>, batch> out_iov_{};
  std::array<mmsghdr, batch> out_{};
  udp_impairment impairment_;
  log_throttle error_log_{std::chrono::seconds(1)};
  bool is_closed_ = false;
};

}  // namespace echo
