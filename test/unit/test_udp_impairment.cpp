// udp_impairment without sockets: batches of replies built by hand go through filter() on an
// io_context of the test's own, and a sender that records what the timer sends. Held replies
// leave at their due time in due order, each source is paced by --throttle, loss drops and
// counts, the queue's bounds (replies and bytes) drop and count the overflow, and close() drops
// what is held.

#include "server/udp_impairment.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace {

using echo::udp_impairment;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct sent_reply {
  std::string payload;
  std::uint16_t port;
  clock_type::time_point at;
};

// One batch of replies, as udp_echo builds them: payloads and IPv4 destinations.
class batch {
 public:
  void add(std::string payload, std::uint16_t port) {
    payloads_.push_back(std::move(payload));
    ports_.push_back(port);
  }

  // The mmsghdrs; valid until the next add().
  mmsghdr* messages() {
    const std::size_t n = payloads_.size();
    addresses_.assign(n, sockaddr_storage{});
    iov_.resize(n);
    messages_.assign(n, mmsghdr{});
    for (std::size_t i = 0; i < n; ++i) {
      auto& to = reinterpret_cast<sockaddr_in&>(addresses_[i]);
      to.sin_family = AF_INET;
      to.sin_port = htons(ports_[i]);
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      iov_[i] = {payloads_[i].data(), payloads_[i].size()};
      messages_[i].msg_hdr.msg_name = &addresses_[i];
      messages_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      messages_[i].msg_hdr.msg_iov = &iov_[i];
      messages_[i].msg_hdr.msg_iovlen = 1;
    }
    return messages_.data();
  }
  std::size_t size() const { return payloads_.size(); }

  // The payload of a message that filter() kept.
  static std::string payload_of(const mmsghdr& m) {
    return std::string(static_cast<const char*>(m.msg_hdr.msg_iov[0].iov_base),
                       m.msg_hdr.msg_iov[0].iov_len);
  }

 private:
  std::vector<std::string> payloads_;
  std::vector<std::uint16_t> ports_;
  std::vector<sockaddr_storage> addresses_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> messages_;
};

struct fixture {
  explicit fixture(const echo::impairment::settings& s)
      : state(s, 42, 0), stage(context, state, counters, [this](mmsghdr* m, std::size_t n) {
          for (std::size_t i = 0; i < n; ++i) {
            const auto& to = *static_cast<const sockaddr_in*>(m[i].msg_hdr.msg_name);
            sent.push_back({batch::payload_of(m[i]), ntohs(to.sin_port), clock_type::now()});
          }
        }) {}

  std::uint64_t event(echo::impairment::event e) const {
    return counters.impairment_events[static_cast<std::size_t>(e)];
  }
  std::uint64_t queue_full() const {
    return counters.udp_dropped_by[static_cast<std::size_t>(echo::udp_drop::impairment_queue_full)];
  }
  // Runs the timer until nothing is held (run returns once no wait is pending).
  void run() { context.run_for(std::chrono::seconds(5)); }

  boost::asio::io_context context;
  echo::stats counters;
  echo::impairment::reactor_state state;
  std::vector<sent_reply> sent;
  udp_impairment stage;
};

}  // namespace

TEST_CASE("udp impairment: --delay holds every reply and sends it at its due time, in order",
          "[unit][udp_impairment]") {
  echo::impairment::settings s;
  s.delay = milliseconds(30);
  fixture f(s);
  batch b;
  for (int i = 0; i < 10; ++i) b.add("reply " + std::to_string(i), 5000);
  const auto now = clock_type::now();
  REQUIRE(f.stage.is_active());
  CHECK(f.stage.filter(b.messages(), b.size(), now) == 0);
  CHECK(f.stage.held() == 10);
  CHECK(f.stage.held_bytes() == 10 * 7);
  CHECK(f.event(echo::impairment::event::delayed) == 10);
  CHECK(f.sent.empty());
  f.run();
  REQUIRE(f.sent.size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(f.sent[i].payload == "reply " + std::to_string(i));
    CHECK(f.sent[i].port == 5000);
    CHECK(f.sent[i].at >= now + milliseconds(30));
  }
  CHECK(f.stage.held() == 0);
  CHECK(f.stage.held_bytes() == 0);
}

TEST_CASE("udp impairment: --loss 100 drops every reply and counts it dropped",
          "[unit][udp_impairment]") {
  echo::impairment::settings s;
  s.loss_percent = 100;
  fixture f(s);
  batch b;
  for (int i = 0; i < 5; ++i) b.add("x", 5000);
  CHECK(f.stage.filter(b.messages(), b.size(), clock_type::now()) == 0);
  CHECK(f.stage.held() == 0);
  CHECK(f.event(echo::impairment::event::dropped) == 5);
  CHECK(f.queue_full() == 0);
}

TEST_CASE("udp impairment: --throttle sends each source's first reply now, the next rate apart",
          "[unit][udp_impairment]") {
  echo::impairment::settings s;
  s.throttle = 10'000;  // 1000 bytes: 100 ms
  fixture f(s);
  batch b;
  for (int i = 0; i < 3; ++i) {
    b.add(std::string(1000, char('a' + i)), 5000);
    b.add(std::string(1000, char('A' + i)), 6000);
  }
  const auto now = clock_type::now();
  mmsghdr* messages = b.messages();
  REQUIRE(f.stage.filter(messages, b.size(), now) == 2);
  CHECK(batch::payload_of(messages[0]) == std::string(1000, 'a'));
  CHECK(batch::payload_of(messages[1]) == std::string(1000, 'A'));
  CHECK(f.stage.held() == 4);
  CHECK(f.event(echo::impairment::event::throttled) == 4);
  CHECK(f.event(echo::impairment::event::delayed) == 0);
  f.run();
  REQUIRE(f.sent.size() == 4);
  for (const sent_reply& r : f.sent) {
    const int nth = r.payload[0] == 'b' || r.payload[0] == 'B' ? 1 : 2;
    CHECK(r.at >= now + milliseconds(100) * nth);
    CHECK(r.at < now + milliseconds(100) * nth + milliseconds(80));
  }
  // The two sources are paced apart: each one's second reply leaves before either's third.
  CHECK(f.sent[0].payload[0] != f.sent[1].payload[0]);
  CHECK(std::toupper(f.sent[0].payload[0]) == 'B');
  CHECK(std::toupper(f.sent[2].payload[0]) == 'C');
}

TEST_CASE("udp impairment: the queue holds at most max_held replies and max_held_bytes",
          "[unit][udp_impairment]") {
  echo::impairment::settings s;
  s.delay = std::chrono::seconds(10);
  SECTION("replies") {
    fixture f(s);
    std::size_t offered = 0;
    while (offered < udp_impairment::max_held + 100) {
      batch b;
      for (int i = 0; i < 64; ++i) b.add("tiny", 5000);
      CHECK(f.stage.filter(b.messages(), b.size(), clock_type::now()) == 0);
      offered += b.size();
    }
    CHECK(f.stage.held() == udp_impairment::max_held);
    CHECK(f.queue_full() == offered - udp_impairment::max_held);
    CHECK(f.event(echo::impairment::event::dropped) == f.queue_full());
  }
  SECTION("bytes") {
    fixture f(s);
    constexpr std::size_t size = 60'000;
    for (int n = 0; n < 200; ++n) {
      batch b;
      b.add(std::string(size, 'x'), 5000);
      f.stage.filter(b.messages(), b.size(), clock_type::now());
    }
    CHECK(f.stage.held() == udp_impairment::max_held_bytes / size);
    CHECK(f.stage.held_bytes() <= udp_impairment::max_held_bytes);
    CHECK(f.queue_full() == 200 - udp_impairment::max_held_bytes / size);
  }
}

TEST_CASE("udp impairment: close() drops what is held and sends nothing",
          "[unit][udp_impairment]") {
  echo::impairment::settings s;
  s.delay = milliseconds(20);
  fixture f(s);
  batch b;
  b.add("held", 5000);
  CHECK(f.stage.filter(b.messages(), b.size(), clock_type::now()) == 0);
  f.stage.close();
  CHECK(f.stage.held() == 0);
  f.run();
  CHECK(f.sent.empty());
}

TEST_CASE("udp impairment: a held reply keeps its due time when the settings change",
          "[unit][udp_impairment]") {
  echo::impairment::settings s;
  s.delay = milliseconds(40);
  fixture f(s);
  batch first;
  first.add("first", 5000);
  const auto now = clock_type::now();
  CHECK(f.stage.filter(first.messages(), first.size(), now) == 0);
  s.delay = milliseconds(10);
  f.state.set(s, 42);
  batch second;
  second.add("second", 5000);
  CHECK(f.stage.filter(second.messages(), second.size(), now) == 0);
  f.run();
  REQUIRE(f.sent.size() == 2);
  CHECK(f.sent[0].payload == "second");
  CHECK(f.sent[1].payload == "first");
  CHECK(f.sent[1].at >= now + milliseconds(40));
}
