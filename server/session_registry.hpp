#pragma once
// The live sessions of one reactor, for shutdown and counting. Non-owning: a session adds itself
// in start() and removes itself in its destructor, so the set never holds a dead pointer. Owned by
// the server, declared above its io_context so it outlives every session.

#include <cstddef>
#include <functional>
#include <unordered_set>

namespace echo {

class session;

class session_registry {
 public:
  void add(session* s) { sessions_.insert(s); }
  void remove(session* s);

  std::size_t size() const { return sessions_.size(); }
  bool is_empty() const { return sessions_.empty(); }

  // Called each time the last session leaves (the server uses it to finish a shutdown).
  void on_empty(std::function<void()> callback) { on_empty_ = std::move(callback); }

  // Shutdown, first step: every session stops reading and closes once its pending write is done.
  void stop_all();
  // Shutdown, last step: every session closes now.
  void close_all();

 private:
  std::unordered_set<session*> sessions_;
  std::function<void()> on_empty_;
};

}  // namespace echo
