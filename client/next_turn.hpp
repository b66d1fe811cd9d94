#pragma once
// Work that waits for the reactor's next turn: once the handlers already ready have run, each
// object added since calls its on_next_turn(). One post for all of them, and two lists that keep
// their capacity, so nothing is allocated per call (a post each would outrun Asio's two-slot
// handler cache as soon as a few are due at once).
//
// Why wait (bench_flow): a read started right after a write is tried by Asio 1.81 at once (it
// marks a socket drained only at EOF), before the server can have answered, and costs a recvfrom
// that returns EAGAIN. Started on the next turn, it mostly finds the answer there. One per
// reactor (in bench_state), its thread only; it must outlive the io_context's handlers.

#include <boost/asio/post.hpp>

#include <memory>
#include <utility>
#include <vector>

namespace echo {

template <class T>
class next_turn {
 public:
  template <class Executor>
  void add(const Executor& on, std::shared_ptr<T> item) {
    due_.push_back(std::move(item));
    if (due_.size() == 1) boost::asio::post(on, [this] { run(); });
  }

 private:
  void run() {
    running_.swap(due_);
    for (const std::shared_ptr<T>& item : running_) item->on_next_turn();
    running_.clear();
  }

  std::vector<std::shared_ptr<T>> due_;
  std::vector<std::shared_ptr<T>> running_;
};

}  // namespace echo
