#pragma once
// The daemon's command line: what it accepts, its --help, and every usage error's wording.
// Program_options stays in this file pair; the rest of the server sees only server_options.

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/reply_policy.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>

namespace echo {

struct server_options {
  std::string host = "127.0.0.1";    // as the user typed it
  boost::asio::ip::address address;  // host, parsed or resolved
  std::uint16_t port = 8888;
  reply_config reply;
  // In line modes, how long the client must stay quiet before data without a newline counts as a
  // whole message. Waiting for a pause, not just for an empty receive queue, keeps a long line
  // that arrives in several segments from being answered in pieces.
  std::chrono::milliseconds message_wait{50};
  std::size_t max_connections = 0;         // 0: derived from the descriptor limit at start
  std::size_t max_connections_per_ip = 0;  // 0: no limit per address
  std::chrono::seconds idle_timeout{300};  // 0: never
  std::chrono::seconds write_timeout{30};  // 0: never
  std::size_t workers = 1;                 // reactors, one thread each, sharing the port
  std::size_t worker_index = 0;            // set by run_workers: which reactor this is
  int passed_fd = -1;  // set by main: a listening socket from socket activation, else -1
  log_level verbosity = log_level::info;
};

std::variant<server_options, early_exit> parse_server_options(int argc, const char* const argv[]);

}  // namespace echo
