#include "client/udp_self_test.hpp"

#include "client/connection.hpp"
#include "client/self_test.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdio>
#include <functional>
#include <string_view>
#include <unordered_map>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

namespace detail {

namespace {

// Why `got` is not `expected`, worded as the TCP --test words it.
std::string describe_difference(std::string_view expected, std::string_view got) {
  std::size_t offset = 0;
  while (offset < got.size() && offset < expected.size() && got[offset] == expected[offset]) {
    ++offset;
  }
  const auto byte_at = [offset](std::string_view bytes) -> std::string {
    if (offset >= bytes.size()) return "no more bytes";
    char text[8];
    std::snprintf(text, sizeof text, "0x%02x", static_cast<unsigned char>(bytes[offset]));
    return text;
  };
  return "expected " + byte_count(expected.size()) + " " + preview(expected) + ", got " +
         byte_count(got.size()) + " " + preview(got) + "; first difference at byte " +
         std::to_string(offset) + ": expected " + byte_at(expected) + ", got " + byte_at(got);
}

}  // namespace

// One socket of a case: send its datagrams back to back while receiving, match each reply to the
// datagram it echoes (replies may come in any order), and report once: when every echo is in, at
// the first wrong or repeated one, or when --timeout passes with no reply (a case that may lose
// datagrams waits at most 1 s for stragglers instead).
class udp_probe {
 public:
  struct result {
    std::optional<std::string> problem;
    std::optional<failure> fatal;
    std::size_t lost = 0;
  };
  using done_handler = std::function<void(const result&)>;

  udp_probe(asio::io_context& context, const client_options& options, const udp_target& target,
            const std::vector<std::string>& datagrams, bool may_lose, done_handler on_done)
      : options_(options),
        target_(target),
        socket_(context),
        deadline_(context),
        datagrams_(datagrams),
        may_lose_(may_lose),
        on_done_(std::move(on_done)),
        is_echoed_(datagrams.size(), false),
        buffer_(max_udp_payload_v6 + 1) {
    for (std::size_t i = 0; i < datagrams_.size(); ++i) index_.emplace(datagrams_[i], i);
  }

  void start() {
    if (auto f = connect_udp(socket_, target_, options_.sources))
      return finish({std::nullopt, f, 0});
    arm_deadline();
    do_receive();
    do_send();
  }

 private:
  void do_send() {
    if (next_ == datagrams_.size()) return;
    socket_.async_send(asio::buffer(datagrams_[next_++]),
                       [this](const error_code& ec, std::size_t) { on_sent(ec); });
  }

  void on_sent(const error_code& ec) {
    if (is_done_) return;
    if (ec) return finish({std::nullopt, udp_failure(ec, target_.peer), 0});
    do_send();
  }

  void do_receive() {
    socket_.async_receive(asio::buffer(buffer_),
                          [this](const error_code& ec, std::size_t n) { on_receive(ec, n); });
  }

  void on_receive(const error_code& ec, std::size_t n) {
    if (is_done_) return;
    if (ec) return finish({std::nullopt, udp_failure(ec, target_.peer), 0});
    const std::string_view reply(buffer_.data(), n);
    const auto found = index_.find(reply);
    if (found == index_.end()) {
      return finish({datagrams_.size() == 1 ? describe_difference(datagrams_.front(), reply)
                                            : "a reply that matches no datagram sent: " +
                                                  byte_count(n) + " " + preview(reply),
                     std::nullopt, 0});
    }
    if (is_echoed_[found->second]) {
      return finish(
          {"datagram " + std::to_string(found->second + 1) + " came back twice", std::nullopt, 0});
    }
    is_echoed_[found->second] = true;
    if (++echoed_ == datagrams_.size()) return finish({});
    arm_deadline();
    do_receive();
  }

  void arm_deadline() {
    const auto wait =
        may_lose_ ? std::min<std::chrono::milliseconds>(options_.timeout, std::chrono::seconds(1))
                  : options_.timeout;
    deadline_.expires_after(wait);
    deadline_.async_wait([this](const error_code& ec) {
      // Ignore a cancelled wait, and one overtaken by a later re-arm.
      if (ec || is_done_ || deadline_.expiry() > std::chrono::steady_clock::now()) return;
      on_timeout();
    });
  }

  void on_timeout() {
    const std::size_t missing = datagrams_.size() - echoed_;
    if (may_lose_ && echoed_ > 0) return finish({std::nullopt, std::nullopt, missing});
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%gs",
                  std::chrono::duration<double>(options_.timeout).count());
    if (datagrams_.size() == 1) {
      return finish({"timed out after " + std::string(seconds) + " waiting for the echo of " +
                         byte_count(datagrams_.front().size()) + " " + preview(datagrams_.front()) +
                         ": got nothing",
                     std::nullopt, missing});
    }
    finish({"timed out waiting for the echoes: " + std::to_string(missing) + " of " +
                std::to_string(datagrams_.size()) + " datagrams did not come back",
            std::nullopt, missing});
  }

  void finish(const result& r) {
    if (is_done_) return;
    is_done_ = true;
    deadline_.cancel();
    error_code ignored;
    socket_.close(ignored);
    on_done_(r);
  }

  const client_options& options_;
  const udp_target& target_;
  asio::ip::udp::socket socket_;
  asio::steady_timer deadline_;
  const std::vector<std::string>& datagrams_;
  bool may_lose_;
  done_handler on_done_;
  std::unordered_map<std::string_view, std::size_t> index_;
  std::vector<bool> is_echoed_;
  std::size_t next_ = 0;
  std::size_t echoed_ = 0;
  bool is_done_ = false;
  std::vector<char> buffer_;
};

}  // namespace detail

std::vector<udp_self_test::test_case> udp_self_test::make_cases(std::size_t max_payload) {
  std::string binary = detail::random_bytes(1024, 1);
  for (std::size_t i = 0; i < binary.size(); i += 7) binary[i] = '\0';
  std::vector<std::string> burst;
  for (int i = 1; i <= 1000; ++i) burst.push_back("datagram " + std::to_string(i) + " of 1000");
  std::vector<std::vector<std::string>> concurrent;
  for (std::uint32_t i = 0; i < 20; ++i) {
    concurrent.push_back(
        {"socket " + std::to_string(i + 1) + ": " + detail::random_bytes(1024, 100 + i)});
  }
  return {
      {"short datagram", {{"Hello, echo server!"}}, false},
      {"empty datagram", {{""}}, false},
      {"binary with NULs", {{binary}}, false},
      {"maximum size (" + std::to_string(max_payload) + " bytes)",
       {{detail::random_bytes(max_payload, 2)}},
       false},
      {"1000 datagrams in a burst", {burst}, true},
      {"20 concurrent sockets", concurrent, false},
  };
}

udp_self_test::udp_self_test(const client_options& options, const logger& log)
    : options_(options), log_(log) {}

udp_self_test::~udp_self_test() = default;

exit_code udp_self_test::run() {
  auto resolved = resolve_udp(options_);
  if (auto* f = std::get_if<failure>(&resolved)) return report(*f);
  target_ = std::get<udp_target>(resolved);
  cases_ = make_cases(target_.max_payload());
  start_case();
  context_.run();
  if (fatal_) return report(*fatal_);
  std::printf("%zu passed, %zu failed\n", passed_, failed_);
  std::fflush(stdout);
  return failed_ == 0 ? exit_code::ok : exit_code::failure;
}

void udp_self_test::start_case() {
  if (current_ == cases_.size()) return;
  const test_case& c = cases_[current_];
  log_.debug("case " + c.name);
  case_problem_.reset();
  case_sent_ = 0;
  case_lost_ = 0;
  pending_ = c.sockets.size();
  for (std::size_t i = 0; i < c.sockets.size(); ++i) {
    case_sent_ += c.sockets[i].size();
    probes_.push_back(
        std::make_unique<detail::udp_probe>(context_, options_, target_, c.sockets[i], c.may_lose,
                                            [this, i](const detail::udp_probe::result& r) {
                                              on_probe_done({r.problem, r.fatal, r.lost}, i);
                                            }));
  }
  // Started once all exist: a probe that fails at once reports into a complete case.
  for (std::size_t i = probes_.size() - c.sockets.size(); i < probes_.size(); ++i) {
    probes_[i]->start();
  }
}

void udp_self_test::on_probe_done(const outcome& result, std::size_t index) {
  if (result.fatal && !fatal_) fatal_ = result.fatal;
  const test_case& c = cases_[current_];
  case_lost_ += result.lost;
  if (result.problem && !case_problem_) {
    case_problem_ = c.sockets.size() > 1
                        ? "socket " + std::to_string(index + 1) + ": " + *result.problem
                        : *result.problem;
  }
  if (--pending_ > 0) return;
  if (fatal_) return;  // nothing listens there: no point in the other cases
  if (case_problem_) {
    ++failed_;
    std::printf("FAIL %s: %s\n", c.name.c_str(), case_problem_->c_str());
  } else if (case_lost_ > 0) {
    ++passed_;
    std::printf("PASS %s (%zu of %zu lost: UDP may drop datagrams)\n", c.name.c_str(), case_lost_,
                case_sent_);
  } else {
    ++passed_;
    std::printf("PASS %s\n", c.name.c_str());
  }
  std::fflush(stdout);
  ++current_;
  start_case();
}

}  // namespace echo
