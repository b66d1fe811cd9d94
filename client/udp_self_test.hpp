#pragma once
// --test --udp: an automated check that the server at HOST:PORT echoes datagrams byte for byte.
// Runs fixed cases one after another (a short datagram, an empty one, binary with NULs, the
// largest datagram the address family carries, 1,000 datagrams in a burst, 20 concurrent
// sockets), each on sockets of its own, and prints one PASS or FAIL line per case with the reason,
// then "N passed, M failed", as the TCP --test does. UDP may drop datagrams, so the burst's losses
// are reported on its PASS line rather than failed (all lost fails); any other missing echo fails
// after --timeout. Exit 0 only when none failed; a port unreachable (nothing listens) ends the run
// with exit 3. Created by main; run() returns the exit code.

#include "client/client_options.hpp"
#include "client/udp_socket.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace echo {

namespace detail {
class udp_probe;
}

class udp_self_test {
 public:
  struct test_case {
    std::string name;
    std::vector<std::vector<std::string>> sockets;  // the datagrams each socket sends, all at once
    bool may_lose = false;                          // losses are reported, not failed
  };

  udp_self_test(const client_options& options, const logger& log);
  ~udp_self_test();
  exit_code run();

  // The cases for a server whose largest datagram is max_payload bytes (random bytes from a
  // fixed seed, so runs are comparable).
  static std::vector<test_case> make_cases(std::size_t max_payload);

 private:
  struct outcome {
    std::optional<std::string> problem;
    std::optional<failure> fatal;
    std::size_t lost = 0;
  };

  void start_case();
  void on_probe_done(const outcome& result, std::size_t index);

  const client_options& options_;
  const logger& log_;
  udp_target target_;
  std::vector<test_case> cases_;
  boost::asio::io_context context_{1};
  // Every probe lives until run() returns: their handlers may still be queued after they report.
  std::vector<std::unique_ptr<detail::udp_probe>> probes_;
  std::size_t current_ = 0;
  std::size_t pending_ = 0;
  std::optional<std::string> case_problem_;
  std::size_t case_sent_ = 0;
  std::size_t case_lost_ = 0;
  std::size_t passed_ = 0;
  std::size_t failed_ = 0;
  std::optional<failure> fatal_;
};

}  // namespace echo
