#include "server/session_registry.hpp"

#include "server/session.hpp"

#include <vector>

namespace echo {

void session_registry::add(session* s, const boost::asio::ip::address& peer) {
  sessions_.insert(s);
  ++per_address_[peer.to_string()];
  // The sweep's copy grows here, at an accept, rather than in a sweep between two echoes.
  if (swept_.capacity() < sessions_.size()) swept_.reserve(2 * sessions_.size());
}

void session_registry::remove(session* s, const boost::asio::ip::address& peer) {
  sessions_.erase(s);
  const auto it = per_address_.find(peer.to_string());
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  if (sessions_.empty() && on_empty_) on_empty_();
}

void session_registry::move(session*, const boost::asio::ip::address& from,
                            const boost::asio::ip::address& to) {
  const auto it = per_address_.find(from.to_string());
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  ++per_address_[to.to_string()];
}

std::size_t session_registry::count_from(const boost::asio::ip::address& peer) const {
  const auto it = per_address_.find(peer.to_string());
  return it == per_address_.end() ? 0 : it->second;
}

// All three iterate over a copy: closing a session never destroys it synchronously (its pending
// handlers still hold it), but a copy keeps that a non-issue.
void session_registry::check_timeouts(std::uint64_t now) {
  swept_.assign(sessions_.begin(), sessions_.end());
  for (session* s : swept_) s->check_timeouts(now);
}

void session_registry::stop_all() {
  const std::vector<session*> all(sessions_.begin(), sessions_.end());
  for (session* s : all) s->stop();
}

void session_registry::close_all() {
  const std::vector<session*> all(sessions_.begin(), sessions_.end());
  for (session* s : all) s->close(ending::shutdown);
}

}  // namespace echo
