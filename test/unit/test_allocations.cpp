// No heap allocation per echoed message in steady state: a global operator new that counts, an
// in-process server (port 0) and a client on the server's own io_context, and 10,000 ping-pongs
// after a warm-up. Also none per datagram in the UDP gatekeepers (address filter, rate limiters),
// nor per reply the UDP impairment stage holds.
// Its own executable, because it replaces the global operator new.

#include "common/address_filter.hpp"
#include "common/log.hpp"
#include "server/server.hpp"
#include "server/server_options.hpp"
#include "server/udp_rate_limit.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace {

std::size_t allocations = 0;
bool is_counting = false;

}  // namespace

void* operator new(std::size_t size) {
  if (is_counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Sends a 64-byte message, reads its echo, `remaining` times, then calls `done`.
class ping_pong {
 public:
  ping_pong(asio::ip::tcp::socket& socket, std::size_t remaining, std::function<void()> done)
      : socket_(socket), remaining_(remaining), done_(std::move(done)) {
    out_.fill('x');
  }

  void start() {
    if (remaining_ == 0) return done_();
    --remaining_;
    asio::async_write(socket_, asio::buffer(out_), [this](const error_code& ec, std::size_t) {
      REQUIRE_FALSE(ec);
      asio::async_read(socket_, asio::buffer(in_), [this](const error_code& read_ec, std::size_t) {
        REQUIRE_FALSE(read_ec);
        REQUIRE(in_ == out_);
        ++echoed;
        start();
      });
    });
  }

  std::size_t echoed = 0;

 private:
  asio::ip::tcp::socket& socket_;
  std::size_t remaining_;
  std::function<void()> done_;
  std::array<char, 64> out_{};
  std::array<char, 64> in_{};
};

}  // namespace

TEST_CASE("allocations: none per echoed message in steady state", "[unit][allocations]") {
  const echo::logger log(echo::log_level::error);
  echo::server_options options;
  options.address = asio::ip::make_address("127.0.0.1");
  options.port = 0;
  echo::server server(options, log);
  REQUIRE_FALSE(server.open());

  asio::ip::tcp::socket client(server.context());
  client.connect(server.local_endpoint());
  client.set_option(asio::ip::tcp::no_delay(true));

  constexpr std::size_t warm_up = 1'000;
  constexpr std::size_t measured = 10'000;
  std::size_t counted = 0;
  ping_pong measure(client, measured, [&] {
    is_counting = false;
    counted = allocations;
    error_code ignored;
    client.close(ignored);
    server.stop();
  });
  ping_pong warm(client, warm_up, [&] {
    allocations = 0;
    is_counting = true;
    measure.start();
  });
  warm.start();
  server.context().run_for(std::chrono::seconds(30));
  is_counting = false;

  CHECK(warm.echoed == warm_up);
  CHECK(measure.echoed == measured);
  INFO(counted << " allocations in " << measured << " echoes (server and client together)");
  CHECK(counted == 0);
}

namespace {

// Sends a 64-byte datagram, waits for its reply, `remaining` times, then calls `done`.
class datagram_ping_pong {
 public:
  datagram_ping_pong(asio::ip::udp::socket& socket, std::size_t remaining,
                     std::function<void()> done)
      : socket_(socket), remaining_(remaining), done_(std::move(done)) {
    out_.fill('x');
  }

  void start() {
    if (remaining_ == 0) return done_();
    --remaining_;
    socket_.async_send(asio::buffer(out_), [this](const error_code& ec, std::size_t) {
      REQUIRE_FALSE(ec);
      socket_.async_receive(asio::buffer(in_), [this](const error_code& read_ec, std::size_t n) {
        REQUIRE_FALSE(read_ec);
        last_reply_size = n;
        ++echoed;
        start();
      });
    });
  }

  std::size_t echoed = 0;
  std::size_t last_reply_size = 0;

 private:
  asio::ip::udp::socket& socket_;
  std::size_t remaining_;
  std::function<void()> done_;
  std::array<char, 64> out_{};
  std::array<char, 2048> in_{};
};

}  // namespace

TEST_CASE("allocations: none per UDP datagram in steady state", "[unit][allocations]") {
  const echo::logger log(echo::log_level::error);
  echo::server_options options;
  options.address = asio::ip::make_address("127.0.0.1");
  options.port = 0;
  options.udp = true;
  options.tcp = false;
  std::size_t reply_size = 64;
  SECTION("echo") {}
  SECTION("prefix") {
    options.reply.mode = echo::reply_mode::prefix;
    reply_size = 64 + options.reply.prefix.size();
  }
  SECTION("ack") {
    options.reply.mode = echo::reply_mode::ack;
    reply_size = options.reply.ack.size();
  }
  echo::server server(options, log);
  REQUIRE_FALSE(server.open());

  asio::ip::udp::socket client(server.context(), asio::ip::udp::v4());
  client.connect({server.local_endpoint().address(), server.local_endpoint().port()});

  constexpr std::size_t warm_up = 1'000;
  constexpr std::size_t measured = 10'000;
  std::size_t counted = 0;
  datagram_ping_pong measure(client, measured, [&] {
    is_counting = false;
    counted = allocations;
    error_code ignored;
    client.close(ignored);
    server.stop();
  });
  datagram_ping_pong warm(client, warm_up, [&] {
    allocations = 0;
    is_counting = true;
    measure.start();
  });
  warm.start();
  server.context().run_for(std::chrono::seconds(30));
  is_counting = false;

  CHECK(warm.echoed == warm_up);
  CHECK(measure.echoed == measured);
  CHECK(measure.last_reply_size == reply_size);
  INFO(counted << " allocations in " << measured << " datagrams (server and client together)");
  CHECK(counted == 0);
}

TEST_CASE("allocations: none per UDP reply held by the impairment stage, in steady state",
          "[unit][allocations]") {
  const echo::logger log(echo::log_level::error);
  echo::server_options options;
  options.address = asio::ip::make_address("127.0.0.1");
  options.port = 0;
  options.udp = true;
  options.tcp = false;
  // Every reply held 1 ms and paced, so each goes through the queue, its buffers and the timer.
  options.impairment.delay = std::chrono::milliseconds(1);
  options.impairment.throttle = 1024 * 1024;
  echo::server server(options, log);
  REQUIRE_FALSE(server.open());

  asio::ip::udp::socket client(server.context(), asio::ip::udp::v4());
  client.connect({server.local_endpoint().address(), server.local_endpoint().port()});

  constexpr std::size_t warm_up = 100;
  constexpr std::size_t measured = 1'000;
  std::size_t counted = 0;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::duration took{};
  datagram_ping_pong measure(client, measured, [&] {
    is_counting = false;
    counted = allocations;
    took = std::chrono::steady_clock::now() - started;
    error_code ignored;
    client.close(ignored);
    server.stop();
  });
  datagram_ping_pong warm(client, warm_up, [&] {
    allocations = 0;
    is_counting = true;
    started = std::chrono::steady_clock::now();
    measure.start();
  });
  warm.start();
  server.context().run_for(std::chrono::seconds(30));
  is_counting = false;

  CHECK(warm.echoed == warm_up);
  CHECK(measure.echoed == measured);
  // Each reply was held: a round trip takes the delay at least.
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() >=
        options.impairment.delay.count() * static_cast<long>(measured));
  INFO(counted << " allocations in " << measured << " held replies (server and client together)");
  CHECK(counted == 0);
}

TEST_CASE("allocations: none in the address filter and the UDP rate limiters, under a flood",
          "[unit][allocations]") {
  echo::address_filter filter;
  std::string error;
  for (const char* text : {"10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32", "::1"}) {
    filter.add_allow(*echo::parse_cidr(text, error));
  }
  filter.add_deny(*echo::parse_cidr("10.1.0.0/16", error));
  echo::per_source_limiter per_source(100);
  echo::token_bucket whole(100'000);
  const std::size_t capacity = per_source.capacity();
  const auto t0 = echo::rate_clock::now();

  std::size_t passed = 0;
  allocations = 0;
  is_counting = true;
  // A million distinct spoofed sources, one datagram each, half IPv4 and half IPv6.
  for (std::uint32_t i = 0; i < 1'000'000; ++i) {
    echo::address_bytes source;
    source.family = i % 2 == 0 ? echo::address_family::v4 : echo::address_family::v6;
    source.bytes[0] = i % 2 == 0 ? 10 : 0x20;
    std::memcpy(source.bytes.data() + 4, &i, 4);
    const auto now = t0 + std::chrono::microseconds(i);
    if (filter.permits(source) && per_source.allow(source, now) && whole.allow(now)) ++passed;
  }
  is_counting = false;

  INFO(allocations << " allocations in 1,000,000 datagrams");
  CHECK(allocations == 0);
  CHECK(per_source.capacity() == capacity);
  CHECK(passed > 0);
}
