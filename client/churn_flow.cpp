#include "client/churn_flow.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace echo {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

churn_flow::churn_flow(asio::io_context& context, bench_state& state, std::uint32_t id)
    : stream_(context, state.tls, nullptr),
      state_(state),
      pattern_(state.options.size, id),
      next_source_(id) {
  pattern_.append(message_, 0);
  echo_.resize(message_.size());
}

void churn_flow::start() {
  if (state_.is_stopping) return;
  stream_.reset();
  started_ = clock::now();
  if (!state_.sources.empty()) {
    // Flow `id` takes sources id, id + connections, ...: all flows together go round-robin.
    const error_code ec = bind_source(stream_.socket(), state_.sources.at(next_source_));
    next_source_ = (next_source_ + state_.options.connections) % state_.sources.size();
    // bench checked every source before the run; posted, so that failing again cannot recurse.
    if (ec)
      return asio::post(stream_.get_executor(), [self = shared_from_this()] { self->fail(); });
  }
  stream_.socket().async_connect(
      state_.server.begin()->endpoint(),
      [self = shared_from_this()](const error_code& ec) { self->on_connected(ec); });
}

void churn_flow::stop() { stream_.close(); }

void churn_flow::on_connected(const error_code& ec) {
  if (ec) return fail();
  if (!stream_.is_tls()) return on_ready(ec);
  stream_.async_handshake([self = shared_from_this()](const error_code& handshake_ec) {
    self->on_ready(handshake_ec);
  });
}

void churn_flow::on_ready(const error_code& ec) {
  if (ec) return fail();
  do_write();
}

void churn_flow::do_write() {
  asio::async_write(
      stream_, asio::buffer(message_),
      [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_written(ec); });
}

void churn_flow::on_written(const error_code& ec) {
  if (ec) return fail();
  do_read();
}

void churn_flow::do_read() {
  asio::async_read(
      stream_, asio::buffer(echo_),
      [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_echo(ec); });
}

void churn_flow::on_echo(const error_code& ec) {
  if (ec) return fail();
  if (echo_ != message_) {
    ++state_.mismatches;
  } else {
    state_.complete(started_, clock::now());
  }
  stop();
  start();
}

void churn_flow::fail() {
  if (!state_.is_stopping) ++state_.errors;
  stop();
  start();
}

}  // namespace echo
