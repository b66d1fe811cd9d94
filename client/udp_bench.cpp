#include "client/udp_bench.hpp"

#include "client/bench_plan.hpp"
#include "client/bench_report.hpp"
#include "client/connection.hpp"
#include "client/histogram_file.hpp"

#include <poll.h>

#include <boost/asio/buffer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;
using clock = bench_state::clock;
using micros = std::chrono::duration<double, std::micro>;

namespace {

constexpr auto drain_poll = std::chrono::milliseconds(10);

struct udp_totals {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t lost = 0;
  std::uint64_t reordered = 0;
  std::uint64_t duplicated = 0;
  double jitter_us = 0;  // the mean of the sockets' jitter
};

}  // namespace

udp_bench::udp_bench(const client_options& options, const logger& log)
    : options_(options), log_(log), loss_deadline_(options.udp_loss_deadline) {}

exit_code udp_bench::run() {
  auto resolved = resolve_udp(options_);
  if (auto* f = std::get_if<failure>(&resolved)) return report(*f);
  target_ = std::get<udp_target>(resolved);
  if (options_.bench.size > target_.max_payload()) {
    return report({exit_code::usage, "invalid --size '" + std::to_string(options_.bench.size) +
                                         "' with --udp to " + target_.peer + ": at most " +
                                         std::to_string(target_.max_payload()) +
                                         " bytes over IPv4"});
  }
  if (auto f = probe()) return report(*f);
  if (auto f = check_sources(options_.sources, target_.peer)) return report(*f);
  auto asked = histogram_file::create_if_asked(options_.histogram_file);
  if (auto* f = std::get_if<failure>(&asked)) return report(*f);
  std::optional<histogram_file>& histogram = std::get<std::optional<histogram_file>>(asked);
  const bench_options& b = options_.bench;
  threads_ = std::make_unique<bench_threads>(b, b.threads);
  reactors_.resize(b.threads);
  bench_progress progress(options_, "datagrams/s");
  threads_->run([this](std::size_t i, asio::io_context& context, bench_state& state,
                       bench_share share) { start_flows(context, state, share, reactors_[i]); },
                [&](const bench_interval& interval) { progress.on_interval(interval); });
  progress.finish();
  bench_state total = threads_->merged();
  total.sources = options_.sources;
  print_report(total, threads_->cpu_us());
  if (histogram) {
    if (auto f = histogram->write(total.latencies)) return report(*f);
  }
  return total.errors == 0 && total.mismatches == 0 ? exit_code::ok : exit_code::failure;
}

// One datagram answered before any load: setup code, so a plain poll() bounds the wait. A probe is
// sent again every fifth of --timeout while none is answered, so that a lossy path (a server with
// --loss, say) does not end the bench before it starts; the whole wait is still --timeout.
std::optional<failure> udp_bench::probe() {
  constexpr int attempts = 5;
  asio::ip::udp::socket socket(context_);
  if (auto f = connect_udp(socket, target_, options_.sources)) return f;
  const std::string hello = "echo-client bench probe";
  const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout);
  const auto give_up = clock::now() + wait_ms;
  for (int attempt = 0;; ++attempt) {
    error_code ec;
    if (attempt < attempts) socket.send(asio::buffer(hello), 0, ec);
    if (ec) return udp_failure(ec, target_.peer);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - clock::now());
    const auto step = attempt + 1 < attempts ? std::min(left, wait_ms / attempts) : left;
    pollfd waiting{socket.native_handle(), POLLIN, 0};
    if (::poll(&waiting, 1, static_cast<int>(std::max<long long>(0, step.count()))) > 0) break;
    if (clock::now() >= give_up) {
      return timeout_failure("waiting for a reply from", target_.peer, options_.timeout);
    }
  }
  char reply[64];
  error_code ec;
  socket.receive(asio::buffer(reply), 0, ec);
  if (ec) return udp_failure(ec, target_.peer);
  log_.debug("probe answered; starting " + std::to_string(options_.bench.connections) + " sockets");
  return std::nullopt;
}

void udp_bench::start_flows(asio::io_context& context, bench_state& state, bench_share share,
                            reactor_flows& mine) {
  state.sources = options_.sources;
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(loss_deadline_);
  const auto end = static_cast<std::uint32_t>(share.first + share.count);
  for (auto id = static_cast<std::uint32_t>(share.first); id < end; ++id) {
    mine.flows.push_back(std::make_unique<udp_bench_flow>(
        context, state, target_, id, plan_bench_flow(state.options, timeout, id), loss_deadline_));
    mine.flows.back()->start();
  }
  mine.end_timer = std::make_unique<asio::steady_timer>(context, state.measure_until);
  mine.end_timer->async_wait([this, &state, &mine](const error_code& ec) {
    if (ec) return;
    state.is_stopping = true;
    for (auto& flow : mine.flows) flow->stop_sending();
    do_drain(state, mine);
  });
}

// Every datagram of the window resolves within the loss deadline (plus a flow's tick), so this
// ends by then; usually much sooner, once the last replies are in.
void udp_bench::do_drain(bench_state& state, reactor_flows& mine) {
  const bool is_idle = std::all_of(mine.flows.begin(), mine.flows.end(),
                                   [](const auto& flow) { return flow->is_idle(); });
  if (is_idle || clock::now() > state.measure_until + 2 * loss_deadline_) {
    for (auto& flow : mine.flows) flow->close();
    return;
  }
  mine.end_timer->expires_after(drain_poll);
  mine.end_timer->async_wait([this, &state, &mine](const error_code& ec) {
    if (!ec) do_drain(state, mine);
  });
}

void udp_bench::print_report(const bench_state& state, double cpu_us) const {
  const bench_options& b = options_.bench;
  udp_totals t;
  std::size_t jitter_sockets = 0;
  for (const auto& mine : reactors_) {
    for (const auto& flow : mine.flows) {
      const udp_path_stats& s = flow->stats();
      t.sent += s.sent();
      t.received += s.received();
      t.lost += s.lost();
      t.reordered += s.reordered();
      t.duplicated += s.duplicated();
      if (s.jitter_samples() == 0) continue;
      t.jitter_us += s.jitter_ns() / 1000;
      ++jitter_sockets;
    }
  }
  if (jitter_sockets > 0) t.jitter_us /= static_cast<double>(jitter_sockets);
  // A flow closed at the drain's limit may still hold datagrams: they never came back.
  t.lost = t.sent - t.received;
  const double seconds = std::chrono::duration<double>(b.duration).count();
  const double per_s = static_cast<double>(state.completed) / seconds;
  const double mb_per_s = per_s * static_cast<double>(b.size) / 1e6;
  const double loss_percent =
      t.sent == 0 ? 0 : 100.0 * static_cast<double>(t.lost) / static_cast<double>(t.sent);
  const auto us = [&state](double fraction) {
    return micros(state.latencies.percentile(fraction)).count();
  };
  const double max_us = micros(state.latencies.max()).count();
  const auto u = [](std::uint64_t n) { return static_cast<unsigned long long>(n); };
  if (b.is_json || b.is_json_stream) {
    std::printf(
        "{\"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"p50_us\": %.2f, \"p90_us\": %.2f, "
        "\"p99_us\": %.2f, \"p999_us\": %.2f, \"max_us\": %.2f, \"errors\": %llu, "
        "\"mismatches\": %llu, \"fell_behind\": %llu, \"connections\": %zu, \"size\": %zu, "
        "\"depth\": %zu, \"rate\": %.0f, \"churn\": false, \"duration_s\": %.3f, "
        "\"udp\": true, \"sent\": %llu, \"received\": %llu, \"lost\": %llu, "
        "\"loss_percent\": %.3f, \"reordered\": %llu, \"duplicated\": %llu, "
        "\"jitter_us\": %.2f, \"threads\": %zu, \"thread_messages\": %s, \"messages\": %llu, "
        "\"client_cpu_us_per_msg\": %.3f%s}\n",
        per_s, mb_per_s, us(0.5), us(0.9), us(0.99), us(0.999), max_us, u(state.errors),
        u(state.mismatches), u(state.fell_behind), b.connections, b.size, b.depth, b.rate, seconds,
        u(t.sent), u(t.received), u(t.lost), loss_percent, u(t.reordered), u(t.duplicated),
        t.jitter_us, b.threads, thread_messages_json(*threads_).c_str(), u(state.completed),
        cpu_us_per_message(cpu_us, state.completed), b.is_json_stream ? ", \"final\": true" : "");
    return;
  }
  const std::string loop =
      b.rate > 0 ? "open loop at " + std::to_string(static_cast<long long>(b.rate)) + " datagrams/s"
                 : "closed loop, depth " + std::to_string(b.depth);
  std::printf("bench udp %s: %zu socket%s x %zu B, %s, %.1f s measured\n", target_.peer.c_str(),
              b.connections, b.connections == 1 ? "" : "s", b.size, loop.c_str(), seconds);
  std::printf("  datagrams/s  %.0f\n", per_s);
  std::printf("  MB/s         %.2f\n", mb_per_s);
  std::printf("  sent %llu  received %llu  lost %llu (%.2f%%)  reordered %llu  duplicated %llu\n",
              u(t.sent), u(t.received), u(t.lost), loss_percent, u(t.reordered), u(t.duplicated));
  std::printf("  latency us   p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", us(0.5),
              us(0.9), us(0.99), us(0.999), max_us);
  std::printf("  jitter us    %.1f (RFC 3550)\n", t.jitter_us);
  std::printf("  errors %llu  mismatches %llu\n", u(state.errors), u(state.mismatches));
  std::printf("  client CPU   %.2f us/msg, %zu thread%s\n",
              cpu_us_per_message(cpu_us, state.completed), b.threads, b.threads == 1 ? "" : "s");
  if (state.fell_behind > 0) {
    std::printf("  fell behind the schedule and stopped: %llu of %zu sockets\n",
                u(state.fell_behind), b.connections);
  }
}

}  // namespace echo
