#include "server/session_registry.hpp"

#include "server/session.hpp"

#include <vector>

namespace echo {

void session_registry::remove(session* s) {
  sessions_.erase(s);
  if (sessions_.empty() && on_empty_) on_empty_();
}

// Both iterate over a copy: stopping a session never destroys it synchronously (its pending
// handlers still hold it), but a copy keeps that a non-issue.
void session_registry::stop_all() {
  const std::vector<session*> all(sessions_.begin(), sessions_.end());
  for (session* s : all) s->stop();
}

void session_registry::close_all() {
  const std::vector<session*> all(sessions_.begin(), sessions_.end());
  for (session* s : all) s->close("shutdown");
}

}  // namespace echo
