#pragma once
// The live sessions of one reactor, for limits, timeouts and shutdown. Non-owning: a session adds
// itself in start() and removes itself in its destructor, so the set never holds a dead pointer.
// Owned by the server, declared above its io_context so it outlives every session.

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace echo {

class session;

class session_registry {
 public:
  void add(session* s, const boost::asio::ip::address& peer);
  void remove(session* s, const boost::asio::ip::address& peer);

  // The session learnt its client's real address (from a PROXY header).
  void move(session* s, const boost::asio::ip::address& from, const boost::asio::ip::address& to);

  std::size_t size() const { return sessions_.size(); }
  bool is_empty() const { return sessions_.empty(); }
  // Open connections from `peer`, for --max-connections-per-ip.
  std::size_t count_from(const boost::asio::ip::address& peer) const;

  // Called each time the last session leaves (the server uses it to finish a shutdown).
  void on_empty(std::function<void()> callback) { on_empty_ = std::move(callback); }

  // The timeout sweep: each session compares its last activity with `now` (in sweep ticks).
  void check_timeouts(std::uint64_t now);
  // Shutdown, first step: every session stops reading and closes once its pending write is done.
  void stop_all();
  // Shutdown, last step: every session closes now.
  void close_all();

 private:
  std::unordered_set<session*> sessions_;
  // The sweep's copy of sessions_ (a session may leave while it is visited), kept between sweeps
  // and grown by add(), so that the sweep once a second never allocates.
  std::vector<session*> swept_;
  // Keyed by the address's text: ip::address has no std::hash in Boost 1.81.
  std::unordered_map<std::string, std::size_t> per_address_;
  std::function<void()> on_empty_;
};

}  // namespace echo
