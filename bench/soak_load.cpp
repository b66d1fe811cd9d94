// soak_load: the load half of bench/soak. For a bounded time it keeps three kinds of clients busy
// against one echo server, all on one Asio reactor:
//   churn    connect, send a message, read its echo, close, again (K loops at once): the flows of
//            `echo-client --bench --churn --connections K`
//   streams  N connections that each keep 16 messages of 64 KiB in flight and check every echoed
//            byte: the flows of `echo-client --bench --connections N --size 65536 --depth 16`
//   idle     I connections opened at the start and left quiet until the end
// Then it prints what it saw as `name=value` lines: connections, bytes echoed, errors, mismatches.
// Not a ctest test: bench/soak builds and runs it (and bench/run, for idle connections alone).

#include "client/bench_load.hpp"
#include "client/bench_state.hpp"
#include "client/client_options.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// Closed loop and churn never read it: it bounds only an open-loop flow's messages in flight.
constexpr std::chrono::milliseconds unused_timeout{10'000};

echo::bench_options churn_load(int loops, std::chrono::seconds seconds) {
  echo::bench_options b;
  b.connections = static_cast<std::size_t>(loops);
  b.is_churn = true;
  b.warmup = std::chrono::milliseconds(0);
  b.duration = seconds;
  return b;
}

// 16 x 64 KiB: up to 1 MiB in flight per stream, written and read 64 KiB at a time.
echo::bench_options stream_load(int streams, std::chrono::seconds seconds) {
  echo::bench_options b;
  b.connections = static_cast<std::size_t>(streams);
  b.size = 64 * 1024;
  b.depth = 16;
  b.warmup = std::chrono::milliseconds(0);
  b.duration = seconds;
  return b;
}

}  // namespace

int main(int argc, char* argv[]) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: soak_load HOST PORT SECONDS CHURN STREAMS IDLE\n");
    return 2;
  }
  const std::string host = argv[1];
  const std::string port = argv[2];
  const std::chrono::seconds seconds(std::atoi(argv[3]));
  const int churn = std::atoi(argv[4]);
  const int streams = std::atoi(argv[5]);
  const int idle = std::atoi(argv[6]);

  asio::io_context context{1};
  tcp::resolver resolver(context);
  const auto server = resolver.resolve(host, port);

  std::uint64_t idle_errors = 0;
  std::vector<tcp::socket> idle_sockets;
  for (int i = 0; i < idle; ++i) {
    idle_sockets.emplace_back(context);
    error_code ec;
    asio::connect(idle_sockets.back(), server, ec);
    if (ec) {
      ++idle_errors;
      idle_sockets.pop_back();
    }
  }

  const echo::bench_options stream_options = stream_load(streams, seconds);
  const echo::bench_options churn_options = churn_load(churn, seconds);
  echo::bench_state stream_state(stream_options);
  echo::bench_state churn_state(churn_options);
  stream_state.server = server;
  churn_state.server = server;
  echo::bench_load stream_flows(context, stream_state, unused_timeout);
  echo::bench_load churn_flows(context, churn_state, unused_timeout);
  stream_flows.start();
  churn_flows.start();

  asio::steady_timer end(context, churn_state.measure_until);
  end.async_wait([&](const error_code&) {
    stream_flows.stop();
    churn_flows.stop();
    for (auto& s : idle_sockets) s.close();
  });
  context.run();

  const std::uint64_t errors = idle_errors + stream_state.errors + churn_state.errors;
  const std::uint64_t mismatches = stream_state.mismatches + churn_state.mismatches;
  std::printf(
      "churn_connections=%llu\nstream_bytes_echoed=%llu\nidle_connections=%llu\n"
      "errors=%llu\nmismatches=%llu\n",
      static_cast<unsigned long long>(churn_state.completed),
      static_cast<unsigned long long>(stream_state.completed * stream_options.size),
      static_cast<unsigned long long>(idle_sockets.size()), static_cast<unsigned long long>(errors),
      static_cast<unsigned long long>(mismatches));
  return errors == 0 && mismatches == 0 ? 0 : 1;
}
