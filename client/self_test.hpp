#pragma once
// --test: an automated check that the server at HOST:PORT echoes byte for byte. Runs fixed cases
// one after another (short text, empty line, UTF-8, 64 KiB and 1 MiB of binary, 1,000 pipelined
// messages, 20 concurrent connections, half-close), each on connections of its own, prints one
// PASS or FAIL line per case with the reason, then "N passed, M failed". Exit code 0 only when
// none failed; a connection that cannot be made at all ends the run with that error's code.
// Over TLS every connection handshakes, and the half-close case sends a close_notify.

#include "client/client_options.hpp"
#include "client/connection.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace echo {

namespace detail {
class exchange;

// The bytes of a seeded generator: the same seed, the same bytes (both tests' binary cases).
std::string random_bytes(std::size_t size, std::uint32_t seed);
// A short, escaped look at `bytes` from `from` on: enough to see a difference, never a flood.
std::string preview(std::string_view bytes, std::size_t from = 0);
// "1 byte", "12 bytes".
std::string byte_count(std::size_t n);
}  // namespace detail

class self_test {
 public:
  struct test_case {
    std::string name;
    std::vector<std::string> payloads;  // one connection each, all at once
    bool is_half_close = false;         // shut down our side after sending; expect EOF after
  };

  self_test(const client_options& options, const logger& log);
  ~self_test();
  exit_code run();

  // The cases, with their payloads (random bytes from a fixed seed, so runs are comparable).
  static std::vector<test_case> make_cases();

 private:
  void start_case();
  void on_exchange_done(const std::optional<std::string>& problem,
                        const std::optional<failure>& fatal, std::size_t index);

  const client_options& options_;
  const logger& log_;
  std::vector<test_case> cases_;
  boost::asio::io_context context_{1};
  std::unique_ptr<client_tls> tls_;  // nullptr without TLS; shared by every exchange
  // Every exchange lives until run() returns: their handlers may still be queued after they
  // report, and must find them alive.
  std::vector<std::unique_ptr<detail::exchange>> exchanges_;
  std::size_t current_ = 0;
  std::size_t pending_ = 0;
  std::optional<std::string> case_problem_;
  std::size_t passed_ = 0;
  std::size_t failed_ = 0;
  std::optional<failure> fatal_;
};

}  // namespace echo
