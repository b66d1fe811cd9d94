// client/next_turn: what is added runs once the handlers already queued have run, each item once
// and in the order added, with one post however many are added in a turn; what is added while a
// turn runs waits for the next one.

#include "client/next_turn.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

struct item {
  item(std::vector<std::string>& c, std::string n, echo::next_turn<item>* turns = nullptr,
       boost::asio::io_context* io = nullptr)
      : calls(c), name(std::move(n)), requeue_into(turns), context(io) {}
  std::vector<std::string>& calls;
  std::string name;
  echo::next_turn<item>* requeue_into;  // adds itself again when it runs, once
  boost::asio::io_context* context;
  std::shared_ptr<item> self;
  void on_next_turn() {
    calls.push_back(name);
    if (requeue_into != nullptr) {
      echo::next_turn<item>* turns = requeue_into;
      requeue_into = nullptr;
      name += " again";
      turns->add(context->get_executor(), self);
    }
  }
};

}  // namespace

TEST_CASE("next_turn: items run after the handlers already queued, once each, in order",
          "[next_turn]") {
  boost::asio::io_context context;
  echo::next_turn<item> turns;
  std::vector<std::string> calls;
  boost::asio::post(context, [&] { calls.push_back("ready before"); });
  for (const char* name : {"a", "b", "c"}) {
    turns.add(context.get_executor(), std::make_shared<item>(calls, name));
  }
  boost::asio::post(context, [&] { calls.push_back("ready after"); });
  // One post for the three: the run executes three handlers in all.
  CHECK(context.run() == 3);
  CHECK(calls == std::vector<std::string>{"ready before", "a", "b", "c", "ready after"});
}

TEST_CASE("next_turn: an item added while a turn runs waits for the next turn", "[next_turn]") {
  boost::asio::io_context context;
  echo::next_turn<item> turns;
  std::vector<std::string> calls;
  auto first = std::make_shared<item>(calls, "a", &turns, &context);
  first->self = first;
  turns.add(context.get_executor(), first);
  turns.add(context.get_executor(), std::make_shared<item>(calls, "b"));
  CHECK(context.run() == 2);
  CHECK(calls == std::vector<std::string>{"a", "b", "a again"});
  first->self.reset();
}
