#include "server/server.hpp"

#include "common/endpoint.hpp"
#include "common/tls.hpp"
#include "server/descriptor_limit.hpp"
#include "server/events.hpp"
#include "server/systemd.hpp"

#include <algorithm>
#include <csignal>
#include <memory>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

std::size_t server::default_max_connections() {
  const std::size_t descriptors = descriptor_limit();
  const std::size_t usable =
      descriptors > server::reserved_descriptors ? descriptors - server::reserved_descriptors : 0;
  return std::max(usable, server::min_default_max_connections);
}

namespace {

std::string connections_open(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " connection open" : " connections open");
}

std::uint64_t ticks_of(std::chrono::seconds timeout) {
  return static_cast<std::uint64_t>(timeout / server::sweep_interval);
}

}  // namespace

server::server(server_options options, const logger& log, process_limits* shared,
               impairment::control* impairments, readiness* ready)
    : options_(std::move(options)),
      log_(log),
      access_(make_access_filter(options_.allow, options_.deny)),
      own_limits_(
          options_.max_connections != 0 ? options_.max_connections : default_max_connections(),
          options_.max_handshakes),
      limits_(shared != nullptr ? *shared : own_limits_),
      impairments_(impairments != nullptr
                       ? *impairments
                       : own_impairments_.emplace(options_.impairment, options_.seed.value_or(0))),
      readiness_(ready != nullptr ? *ready : own_readiness_),
      impairment_(impairments_.current(), impairments_.seed(), options_.worker_index),
      session_context_{options_.reply,
                       options_.message_wait,
                       ticks_of(options_.idle_timeout),
                       ticks_of(options_.write_timeout),
                       ticks_of(options_.handshake_timeout),
                       now_tick_,
                       read_buffer_.data(),
                       read_buffer_.size(),
                       log_,
                       stats_,
                       registry_,
                       nullptr,
                       limits_.handshakes,
                       refusal_log_,
                       options_.proxy_protocol,
                       options_.max_connections_per_ip,
                       access_,
                       impairment_},
      listener_(context_, log_, stats_, [this](tcp_socket s) { on_accept(std::move(s)); }),
      udp_admission_(options_.udp_limits, access_),
      signals_(context_, [this](int signal_number) { on_stop_signal(signal_number); }),
      stats_total_([this] { return stats_; }),
      delay_timer_(context_),
      drain_timer_(context_),
      sweep_timer_(context_) {
  registry_.on_empty([this] { finish_if_idle(); });
  impairments_.attach(context_, impairment_);
  if (options_.worker_index == 0) {
    stats_reporter_.emplace(context_, options_.stats_interval, log_,
                            [this] { return stats_total_(); });
    if (!options_.admin.empty()) {
      const double start_time =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      admin_.emplace(
          context_, log_, [this] { return stats_total_(); }, impairments_, readiness_,
          admin_endpoint::settings{start_time, options_.admin_write});
    }
  }
}

std::optional<std::string> server::open() {
  if (!options_.tls_cert.empty()) {
    try {
      tls_context_.emplace(
          make_server_context({options_.tls_cert, options_.tls_key, options_.tls_client_ca}));
    } catch (const tls_error& e) {
      return e.what();
    }
    session_context_.tls = &*tls_context_;
    listener_.refuse_silently();
  }
  if (admin_) {
    if (auto failure = admin_->open(options_.admin_endpoint)) {
      return (options_.metrics.empty() ? "--admin: " : "--metrics: ") + *failure;
    }
  }
  if (auto failure = open_sockets()) return failure;
  is_open_ = true;
  if (options_.tcp) listener_.start();
  if (udp_) udp_->start();
  if (session_context_.idle_timeout_ticks != 0 || session_context_.write_timeout_ticks != 0 ||
      tls_context_ || options_.proxy_protocol) {
    do_sweep();
  }
  // With workers, the first announces for all (run_workers opens it last).
  if (options_.worker_index != 0) return std::nullopt;
  announce();
  readiness_.set(readiness::state::ready);
  if (admin_) {
    admin_->start();
    const asio::ip::tcp::endpoint at = admin_->local_endpoint();
    log_.always_event("metrics", {{"address", at.address().to_string()}, {"port", at.port()}},
                      "metrics on " + format_endpoint(at));
  }
  if (!options_.tcp) return std::nullopt;  // the capacity line is about connections
  const std::size_t descriptors = descriptor_limit();
  const std::size_t handshakes = limits_.handshakes.limit();
  log_.event(
      log_level::info, "capacity",
      {{"descriptors", descriptors},
       {"max_connections", limits_.connections.limit()},
       {"max_connections_per_ip", options_.max_connections_per_ip},
       {"max_handshakes", handshakes}},
      "capacity: " + std::to_string(descriptors) + " descriptors, at most " +
          std::to_string(limits_.connections.limit()) + " connections" +
          (options_.max_connections_per_ip != 0
               ? ", " + std::to_string(options_.max_connections_per_ip) + " per address"
               : std::string()) +
          (!tls_context_     ? std::string()
           : handshakes == 0 ? ", TLS handshakes without limit"
                             : ", " + std::to_string(handshakes) + " TLS handshakes at once"));
  return std::nullopt;
}

asio::ip::tcp::endpoint server::local_endpoint() const {
  if (options_.tcp || !udp_) return listener_.local_endpoint();
  const asio::ip::udp::endpoint at = udp_->local_endpoint();
  return {at.address(), at.port()};
}

// A socket passed by socket activation is already bound (and listening); otherwise TCP and UDP
// bind the same port. Port 0 with both: the port the kernel gave TCP may be taken for UDP, so
// another is tried, a few times.
std::optional<std::string> server::open_sockets() {
  if (options_.passed_fd >= 0 || options_.passed_udp_fd >= 0) return adopt_passed_sockets();
  if (!options_.tcp) return open_udp(options_.port);
  constexpr int attempts = 16;
  for (int attempt = 1;; ++attempt) {
    if (auto failure = listener_.open({options_.address, options_.port}, options_.workers > 1)) {
      return failure;
    }
    if (!options_.udp) return std::nullopt;
    auto failure = open_udp(listener_.local_endpoint().port());
    if (!failure || options_.port != 0 || attempt == attempts) return failure;
    listener_.close();
  }
}

std::optional<std::string> server::open_udp(std::uint16_t port) {
  udp_.emplace(context_, options_.reply, udp_admission_, impairment_, log_, stats_);
  return udp_->open({options_.address, port}, options_.workers > 1);
}

// The passed sockets decide what is served, and the flags must agree with them: a mismatch is
// one line, not a protocol silently left out.
std::optional<std::string> server::adopt_passed_sockets() {
  const bool has_stream = options_.passed_fd >= 0;
  const bool has_datagram = options_.passed_udp_fd >= 0;
  if (options_.udp != has_datagram) {
    return has_datagram ? "socket activation passed a datagram socket (ListenDatagram=): add --udp"
                        : "socket activation passed no datagram socket (ListenDatagram=): --udp "
                          "needs one";
  }
  if (options_.tcp != has_stream) {
    return has_stream ? "socket activation passed a stream socket (ListenStream=), but --no-tcp "
                        "is set"
                      : "socket activation passed no stream socket (ListenStream=): serving TCP "
                        "needs one (or --udp --no-tcp)";
  }
  if (has_stream) {
    if (auto failure = listener_.adopt(options_.passed_fd)) return failure;
  }
  if (has_datagram) {
    udp_.emplace(context_, options_.reply, udp_admission_, impairment_, log_, stats_);
    return udp_->adopt(options_.passed_udp_fd);
  }
  return std::nullopt;
}

// Scripts that start us on port 0 read the real port from this line, so it is written after
// every socket is open and whatever the log level.
void server::announce() const {
  if (options_.passed_fd >= 0 || options_.passed_udp_fd >= 0) {
    const bool both = options_.passed_fd >= 0 && options_.passed_udp_fd >= 0;
    log_.event(log_level::info, "socket_activation", {},
               std::string("socket activation: serving the ") + (both ? "sockets" : "socket") +
                   " systemd passed; --host and --port are ignored");
  }
  const asio::ip::tcp::endpoint local = local_endpoint();
  const char* protocols = !options_.udp ? "tcp" : options_.tcp ? "tcp,udp" : "udp";
  const std::string shown = !options_.udp ? "" : options_.tcp ? "TCP and UDP, " : "UDP only, ";
  log_.always_event(
      "listening",
      {{"address", local.address().to_string()},
       {"port", local.port()},
       {"protocols", protocols},
       {"reply", to_string(options_.reply.mode)},
       {"once", options_.reply.once},
       {"tls", tls_context_.has_value()},
       {"client_certificates", tls_context_ && !options_.tls_client_ca.empty()},
       {"proxy_protocol", options_.proxy_protocol},
       {"workers", options_.workers}},
      "listening on " + format_endpoint(local) + " (" + shown +
          (tls_context_ ? options_.tls_client_ca.empty() ? "TLS, " : "mutual TLS, " : "") +
          (options_.proxy_protocol ? "PROXY protocol, " : "") + "reply " +
          std::string(to_string(options_.reply.mode)) + (options_.reply.once ? ", once" : "") +
          (options_.workers > 1 ? ", " + std::to_string(options_.workers) + " workers" : "") + ")");
  const impairment::settings impaired = impairments_.current();
  if (impaired.is_active()) {
    log_.always_event("impairment",
                      {{"settings", impairment::to_json(impaired, impairments_.seed())}},
                      "impairment on: " + impairment::describe(impaired) + " (seed " +
                          std::to_string(impairments_.seed()) + ")");
  }
}

exit_code server::run() {
  if (!is_open_) {
    if (auto failure = open()) {
      log_.error(*failure);
      return exit_code::failure;
    }
  }
  context_.run();
  if (options_.workers == 1) {
    log_.always_event("shutdown", stats_fields(stats_), "shut down: " + stats_.summary());
  }
  return exit_code::ok;
}

// Every worker hears each signal and decides for itself; worker 0 speaks for all.
void server::on_stop_signal(int signal_number) {
  if (phase_ == shutdown_phase::draining) return close_everything();
  // Ctrl+C is someone at a terminal: drain at once. So does a second signal during the delay.
  if (phase_ == shutdown_phase::delaying || signal_number != SIGTERM ||
      options_.shutdown_delay.count() == 0) {
    return stop();
  }
  begin_shutdown_delay();
}

// --shutdown-delay: a balancer polling /readyz (or Kubernetes removing the endpoint) needs a while
// to stop sending; until then new connections and datagrams are still served as usual.
void server::begin_shutdown_delay() {
  phase_ = shutdown_phase::delaying;
  readiness_.set(readiness::state::stopping);
  if (options_.worker_index == 0) {
    systemd::notify_stopping();
    const auto delay = static_cast<std::uint64_t>(options_.shutdown_delay.count());
    log_.event(log_level::info, "shutdown_delay", {{"seconds", delay}},
               "shutdown in " + std::to_string(delay) + " s: not ready, still serving");
  }
  delay_timer_.expires_after(options_.shutdown_delay);
  delay_timer_.async_wait([this](const error_code& ec) {
    if (!ec) stop();
  });
}

void server::stop() {
  if (phase_ == shutdown_phase::draining) return;
  if (options_.worker_index == 0 && phase_ == shutdown_phase::serving) systemd::notify_stopping();
  phase_ = shutdown_phase::draining;
  readiness_.set(readiness::state::stopping);
  delay_timer_.cancel();
  const std::size_t open = registry_.size();
  log_.event(log_level::info, "shutting_down", {{"open", open}},
             "shutting down" +
                 (open == 0 ? std::string()
                            : ": " + std::to_string(open) + " open connection" +
                                  (open == 1 ? "" : "s") + ", Ctrl+C again closes them now"));
  listener_.close();
  if (udp_) udp_->close();  // no connection to finish: a datagram is answered or not at all
  // The admin endpoint stays until the connections are gone, so /readyz says 503 while they drain.
  registry_.stop_all();
  if (options_.drain_timeout.count() == 0) return close_everything();
  drain_timer_.expires_after(options_.drain_timeout);
  drain_timer_.async_wait([this](const error_code& ec) {
    if (!ec) close_everything();
  });
  finish_if_idle();
}

void server::close_everything() {
  phase_ = shutdown_phase::draining;
  readiness_.set(readiness::state::stopping);
  delay_timer_.cancel();
  listener_.close();
  if (udp_) udp_->close();
  if (admin_) admin_->close();
  registry_.close_all();
  finish_if_idle();
}

// Once stopping and no session is left, drop the last waits so that run() returns by itself.
void server::finish_if_idle() {
  if (phase_ != shutdown_phase::draining || !registry_.is_empty()) return;
  drain_timer_.cancel();
  sweep_timer_.cancel();
  signals_.cancel();
  if (admin_) admin_->close();
  if (stats_reporter_) stats_reporter_->cancel();
}

// One timer for all sessions: a session's timeouts cost nothing per message but noting the tick.
void server::do_sweep() {
  sweep_timer_.expires_after(sweep_interval);
  sweep_timer_.async_wait([this](const error_code& ec) {
    // Also stop when shutdown finished while this wait was already queued.
    if (ec || (phase_ == shutdown_phase::draining && registry_.is_empty())) return;
    ++now_tick_;
    registry_.check_timeouts(now_tick_);
    do_sweep();
  });
}

void server::on_accept(tcp_socket socket) {
  error_code ec;
  const asio::ip::tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return;  // gone already
  // Behind a proxy the rules apply to the client its PROXY header names (see admission).
  if (!options_.proxy_protocol && !is_permitted(access_, peer.address())) {
    return refuse(socket, refusal::denied, format_endpoint(peer), "denied (--allow/--deny)");
  }
  // A slot of the whole process's, so that the limit holds across workers.
  slot_pool::slot connection = limits_.connections.try_take();
  if (!connection) {
    return refuse(socket, refusal::max_connections, format_endpoint(peer),
                  connections_open(limits_.connections.limit()) + " (--max-connections)");
  }
  // Behind a proxy every connection comes from the proxy: the session checks the address its
  // PROXY header names instead.
  const std::size_t per_ip = options_.proxy_protocol ? 0 : options_.max_connections_per_ip;
  if (per_ip != 0 && registry_.count_from(peer.address()) >= per_ip) {
    return refuse(socket, refusal::per_ip, format_endpoint(peer),
                  connections_open(per_ip) + " from it (--max-connections-per-ip)");
  }
  std::make_shared<session>(std::move(socket), peer, std::move(connection), session_context_)
      ->start();
}

// Accepting and closing at once, rather than not accepting, tells the client now instead of
// leaving it in the backlog; the one line says why, but not to a denied client, nor to a TLS one:
// it would read the line as a broken handshake, and a refusal after a whole handshake would spend
// on a refused client the very memory and CPU the limit protects. It sees the connection closed
// before any ServerHello instead.
void server::refuse(tcp_socket& socket, refusal reason, const std::string& peer,
                    std::string_view why) {
  stats_.count_refusal(reason);
  error_code ignored;
  // A denied client learns nothing, not even that it was refused rather than unlucky.
  if (!tls_context_ && reason != refusal::denied) {
    socket.non_blocking(true, ignored);
    socket.send(asio::buffer(listener::refusal), 0, ignored);
  }
  socket.close(ignored);
  if (refusal_log_.admit()) {
    events::refused(log_, peer, reason, why, refusal_log_.held_back());
  }
}

}  // namespace echo
