#include "client/self_test.hpp"

#include "common/escape.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <random>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

namespace detail {

std::string random_bytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(byte(generator));
  return bytes;
}

std::string preview(std::string_view bytes, std::size_t from) {
  from = std::min(from, bytes.size());
  const std::string start = from > 0 ? "[" + std::to_string(from) + "..] \"" : "\"";
  return start + escape_for_log(shorten(bytes.substr(from), 24)) + '"';
}

std::string byte_count(std::size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

std::string hex(unsigned char c) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", c);
  return text;
}

// Where `got` departs from `expected`, at `offset`: the byte there, or `got_instead` ("end of
// data", "nothing") when `got` stops short.
std::string describe_difference(std::string_view expected, std::string_view got, std::size_t offset,
                                std::string_view got_instead) {
  const std::string expected_byte = offset < expected.size()
                                        ? hex(static_cast<unsigned char>(expected[offset]))
                                        : "no more bytes";
  const std::string got_byte =
      offset < got.size() ? hex(static_cast<unsigned char>(got[offset])) : std::string(got_instead);
  // Show both from a little before the difference, where the eye needs to look.
  const std::size_t from = offset < 8 ? 0 : offset - 8;
  return "expected " + byte_count(expected.size()) + " " + preview(expected, from) + ", got " +
         preview(got, from) + " (" + byte_count(got.size()) +
         " so far); first difference at byte " + std::to_string(offset) + ": expected " +
         expected_byte + ", got " + got_byte;
}

// Why `got` (received so far) is not a prefix of `expected`, or nullopt when it is.
std::optional<std::string> explain_mismatch(std::string_view expected, std::string_view got) {
  std::size_t offset = 0;
  while (offset < got.size() && offset < expected.size() && got[offset] == expected[offset]) {
    ++offset;
  }
  if (offset == got.size()) return std::nullopt;
  return describe_difference(expected, got, offset, {});
}

// One connection of a case: send the payload while reading the echo, compare as bytes arrive
// (a wrong byte fails the case at once, with no wait for the rest), and report once.
class exchange {
 public:
  using done_handler =
      std::function<void(const std::optional<std::string>& problem, const std::optional<failure>&)>;

  exchange(asio::io_context& context, const client_options& options, const logger& log,
           client_tls* tls, const std::string& payload, bool is_half_close, done_handler on_done)
      : options_(options),
        log_(log),
        connection_(context, options, log, tls),
        deadline_(context),
        payload_(payload),
        is_half_close_(is_half_close),
        on_done_(std::move(on_done)) {}

  void start() {
    connection_.async_connect([this](const std::optional<failure>& f) { on_connected(f); });
  }

 private:
  void on_connected(const std::optional<failure>& outcome) {
    if (outcome) return finish(std::nullopt, outcome);
    asio::async_write(connection_.stream(), asio::buffer(payload_),
                      [this](const error_code& ec, std::size_t) { on_sent(ec); });
    arm_deadline();
    do_read();
  }

  void on_sent(const error_code& ec) {
    if (is_done_) return;
    if (ec) {
      return finish("sending failed: " + transfer_failure(ec, connection_.peer()).message,
                    std::nullopt);
    }
    if (!is_half_close_) return;
    connection_.stream().async_shutdown_send([this](const error_code& shutdown_ec) {
      // A failed half-close shows as a missing echo or EOF, which the read chain reports.
      if (shutdown_ec && !is_done_) log_.debug("half-close failed: " + lower_message(shutdown_ec));
    });
  }

  void do_read() {
    connection_.stream().async_read_some(
        asio::buffer(buffer_), [this](const error_code& ec, std::size_t n) { on_read(ec, n); });
  }

  void on_read(const error_code& ec, std::size_t n) {
    if (is_done_) return;
    if (is_timed_out_) {
      return finish("timed out after " + seconds() + " waiting for the echo: " +
                        describe_difference(payload_, received_, received_.size(), "nothing"),
                    std::nullopt);
    }
    const bool is_complete = received_.size() == payload_.size();
    if (ec == asio::error::eof) {
      if (is_complete) return finish(std::nullopt, std::nullopt);  // the half-close case
      return finish("the server closed the connection early: " +
                        describe_difference(payload_, received_, received_.size(), "end of data"),
                    std::nullopt);
    }
    if (ec) return finish(transfer_failure(ec, connection_.peer()).message, std::nullopt);
    received_.append(buffer_.data(), n);
    if (auto problem = explain_mismatch(payload_, received_)) return finish(problem, std::nullopt);
    if (received_.size() == payload_.size() && !is_half_close_) {
      return finish(std::nullopt, std::nullopt);
    }
    // With half-close the echo must be followed by EOF, so read on either way.
    arm_deadline();
    do_read();
  }

  void arm_deadline() {
    deadline_.expires_after(options_.timeout);
    deadline_.async_wait([this](const error_code& ec) {
      // Ignore a cancelled wait, and one overtaken by a later re-arm.
      if (ec || is_done_ || deadline_.expiry() > std::chrono::steady_clock::now()) return;
      is_timed_out_ = true;
      connection_.close();
    });
  }

  std::string seconds() const {
    char text[32];
    std::snprintf(text, sizeof text, "%gs",
                  std::chrono::duration<double>(options_.timeout).count());
    return text;
  }

  void finish(const std::optional<std::string>& problem, const std::optional<failure>& fatal) {
    if (is_done_) return;
    is_done_ = true;
    deadline_.cancel();
    connection_.close();
    on_done_(problem, fatal);
  }

  const client_options& options_;
  const logger& log_;
  connection connection_;
  asio::steady_timer deadline_;
  const std::string& payload_;
  bool is_half_close_;
  done_handler on_done_;
  std::string received_;
  bool is_timed_out_ = false;
  bool is_done_ = false;
  std::array<char, 64 * 1024> buffer_;
};

}  // namespace detail

std::vector<self_test::test_case> self_test::make_cases() {
  std::string pipelined;
  for (int i = 1; i <= 1000; ++i) pipelined += "message " + std::to_string(i) + " of 1000\n";
  std::vector<std::string> concurrent;
  for (std::uint32_t i = 0; i < 20; ++i) {
    concurrent.push_back("connection " + std::to_string(i + 1) + ": " +
                         detail::random_bytes(16 * 1024, 100 + i));
  }
  return {
      {"short text", {"Hello, echo server!\n"}, false},
      {"empty line", {"\n"}, false},
      {"utf-8",
       {"h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x9A\x80\n"},
       false},
      {"64 KiB binary", {detail::random_bytes(64 * 1024, 1)}, false},
      {"1 MiB binary", {detail::random_bytes(1024 * 1024, 2)}, false},
      {"1000 pipelined messages", {pipelined}, false},
      {"20 concurrent connections", concurrent, false},
      {"half-close", {"the echo must arrive after our EOF, and then the server's\n"}, true},
  };
}

self_test::self_test(const client_options& options, const logger& log)
    : options_(options), log_(log), cases_(make_cases()), tls_(client_tls::from_options(options)) {}

self_test::~self_test() = default;

exit_code self_test::run() {
  start_case();
  context_.run();
  if (fatal_) return report(*fatal_);
  std::printf("%zu passed, %zu failed\n", passed_, failed_);
  std::fflush(stdout);
  return failed_ == 0 ? exit_code::ok : exit_code::failure;
}

void self_test::start_case() {
  if (current_ == cases_.size()) return;
  const test_case& c = cases_[current_];
  log_.debug("case " + c.name);
  case_problem_.reset();
  pending_ = c.payloads.size();
  for (std::size_t i = 0; i < c.payloads.size(); ++i) {
    exchanges_.push_back(std::make_unique<detail::exchange>(
        context_, options_, log_, tls_.get(), c.payloads[i], c.is_half_close,
        [this, i](const std::optional<std::string>& problem, const std::optional<failure>& fatal) {
          on_exchange_done(problem, fatal, i);
        }));
    exchanges_.back()->start();
  }
}

void self_test::on_exchange_done(const std::optional<std::string>& problem,
                                 const std::optional<failure>& fatal, std::size_t index) {
  if (fatal && !fatal_) fatal_ = fatal;
  const test_case& c = cases_[current_];
  if (problem && !case_problem_) {
    case_problem_ = c.payloads.size() > 1
                        ? "connection " + std::to_string(index + 1) + ": " + *problem
                        : *problem;
  }
  if (--pending_ > 0) return;
  if (fatal_) return;  // cannot reach the server at all: no point in the other cases
  if (case_problem_) {
    ++failed_;
    std::printf("FAIL %s: %s\n", c.name.c_str(), case_problem_->c_str());
  } else {
    ++passed_;
    std::printf("PASS %s\n", c.name.c_str());
  }
  std::fflush(stdout);
  ++current_;
  start_case();
}

}  // namespace echo
