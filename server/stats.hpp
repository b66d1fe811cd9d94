#pragma once
// The counters of one reactor: connections now and in total, bytes in and out, refusals and
// timeouts. Owned by the server, updated by its sessions and listener on the reactor's thread;
// read by any thread (the SIGUSR1 or --stats-interval line of --workers sums every reactor's).

#include "server/impairment_settings.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace echo {

// A counter with one writer (the reactor that owns it) and any number of readers on other threads.
//
// Updates are a relaxed load and a relaxed store, not fetch_add: with a single writer no update
// can be lost, and on x86 this is a plain load, add and store, whereas fetch_add is a `lock xadd`
// that costs tens of cycles and bounces the cache line on every message. The std::atomic is still
// needed so that a reader on another thread sees a whole 64-bit value (never a torn one) and the
// read is not a data race; relaxed order is enough because each counter is read on its own and may
// be slightly behind. Never update one counter from two threads.
class counter {
 public:
  counter() = default;
  counter(std::uint64_t value) : value_(value) {}  // NOLINT: reads like the integer it was
  // Copies take a snapshot (for summing the workers' counters).
  counter(const counter& other) : value_(other.load()) {}
  counter& operator=(const counter& other) { return *this = other.load(); }
  counter& operator=(std::uint64_t value) {
    value_.store(value, std::memory_order_relaxed);
    return *this;
  }

  std::uint64_t load() const { return value_.load(std::memory_order_relaxed); }
  operator std::uint64_t() const { return load(); }  // NOLINT: reads like the integer it was

  counter& operator+=(std::uint64_t n) { return *this = load() + n; }
  counter& operator-=(std::uint64_t n) { return *this = load() - n; }
  counter& operator++() { return *this += 1; }
  counter& operator--() { return *this -= 1; }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Why a connection was turned away: the labels of echo_connections_refused_total.
// max_handshakes: a TLS client that began its handshake while --max-handshakes were in progress.
// denied: --deny, or not --allow (closed without a byte).
enum class refusal { max_connections, per_ip, fd_exhausted, max_handshakes, denied };
constexpr std::array<std::string_view, 5> refusal_names = {
    "max_connections", "per_ip", "fd_exhausted", "max_handshakes", "denied"};

// Why a connection ended. Each has its own word in the "closed" log line (ending_word), and
// several share one label of echo_connections_closed_total (metric_label). once: --once answered;
// peer_stopped_reading: a broken pipe; impairment_reset: --reset-after's; error: any other error
// code, whose wording the line shows.
enum class ending {
  eof,
  once,
  reset,
  peer_stopped_reading,
  idle_timeout,
  handshake_timeout,
  write_timeout,
  shutdown,
  refused,
  no_proxy_header,
  bad_proxy_header,
  tls_handshake_failed,
  line_too_long,
  error,
  impairment_reset,  // --reset-after: reset on purpose
};
constexpr std::array<std::string_view, 7> ending_labels = {
    "eof", "reset", "idle_timeout", "write_timeout", "error", "shutdown", "impairment"};
// The index in ending_labels (and stats::closed_by) of the label `why` is counted under.
std::size_t metric_label(ending why);
// "eof", "reset by peer", "idle timeout"...; "" for ending::error, which the closed line words
// after its error code (describe_ending).
std::string_view ending_word(ending why);

// Why a UDP datagram got no reply: the labels of echo_udp_dropped_total. truncated: larger than a
// receive slot (never echoed cut); send_buffer_full: the socket could not take the reply at once
// (never queued); low_port: a source port below 1024 or 0 (see udp_echo.hpp); denied: --deny or
// not --allow; error: sendmmsg failed otherwise; too_large: --prefix or --ack made the reply larger
// than a datagram can be (the datagram was nearly the largest).
enum class udp_drop {
  rate_limited,
  low_port,
  truncated,
  send_buffer_full,
  denied,
  error,
  too_large
};
constexpr std::array<std::string_view, 7> udp_drop_names = {
    "rate_limited", "low_port", "truncated", "send_buffer_full", "denied", "error", "too_large"};

struct stats {
  // Upper bounds, in seconds, of the connection-duration histogram's buckets; one more bucket
  // (+Inf) takes the rest.
  static constexpr std::array<double, 9> duration_bounds = {0.001, 0.01, 0.1,  1,    10,
                                                            60,    300,  3600, 86400};

  counter connections_total;
  counter connections_active;
  counter bytes_in;
  counter bytes_out;
  counter refused;  // over --max-connections, --max-connections-per-ip, --max-handshakes, or no fd
  counter timed_out;  // closed by --idle-timeout or --write-timeout
  counter messages;   // line modes: messages answered
  counter tls_handshake_failures;
  std::array<counter, refusal_names.size()> refused_by;  // indexed by refusal
  std::array<counter, ending_labels.size()> closed_by;   // indexed by metric_label
  // Connection durations: a count per bucket (not cumulative), and their sum in microseconds.
  std::array<counter, duration_bounds.size() + 1> duration_buckets;
  counter duration_sum_us;
  // UDP (--udp): datagrams and their bytes, and datagrams dropped, by reason.
  bool has_udp = false;  // serving UDP: the stats line shows the udp_* counters
  counter udp_datagrams_in;
  counter udp_datagrams_out;
  counter udp_bytes_in;
  counter udp_bytes_out;
  std::array<counter, udp_drop_names.size()> udp_dropped_by;  // indexed by udp_drop

  // What the impairment stage did, indexed by impairment::event.
  std::array<counter, impairment::event_count> impairment_events;
  void count(impairment::event what) { ++impairment_events[static_cast<std::size_t>(what)]; }

  void count_udp_drop(udp_drop why) { ++udp_dropped_by[static_cast<std::size_t>(why)]; }
  std::uint64_t udp_dropped() const;

  void count_refusal(refusal why) {
    ++refused;
    ++refused_by[static_cast<std::size_t>(why)];
  }
  // At a connection's end: its ending and how long it lasted.
  void count_ending(ending why, std::chrono::steady_clock::duration lasted);

  // Adds another reactor's counters (--workers sums them). Reads `other` with relaxed loads, so
  // it may run on any thread; writes only this object.
  stats& operator+=(const stats& other);

  // "served 12 connections, 3456 bytes in, 3456 bytes out", then ", 2 refused, 1 timed out" when
  // those are not zero.
  std::string summary() const;

  // "connections_active=3 connections_total=12 bytes_in=3456 bytes_out=3456 refused=0
  // timed_out=0": every counter as name=value, always in this order, for the stats log line.
  std::string name_values() const;
};

}  // namespace echo
