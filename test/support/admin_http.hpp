#pragma once
// Talking to a server's admin endpoint (--admin) from a test: its port from the log, one HTTP/1.1
// request with an optional body on a new connection (or one the test holds, so that it knows the
// peer the server sees), and the answer parsed into status, headers and body.

#include "support/deadline.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace echo::test {

struct http_response {
  int status = 0;
  std::string headers;  // lower-cased, "name: value\r\n" each
  std::string body;
  bool is_complete = false;  // a status line and the end of the headers came

  std::optional<std::string> header(const std::string& lower_name) const;
};

// Status, headers and everything after them (the caller reads to EOF first).
http_response parse_response(const std::string& raw);

// `method target` with `body` (a Content-Length when not empty) and "Connection: close" on `c`,
// read to EOF.
http_response http_request_on(tcp_client& c, const std::string& method, const std::string& target,
                              const std::string& body = {}, deadline d = deadline::after_default());
// The same on a new connection to 127.0.0.1:port.
http_response http_request(std::uint16_t port, const std::string& method, const std::string& target,
                           const std::string& body = {}, deadline d = deadline::after_default());

// The admin endpoint's port: from "metrics on 127.0.0.1:PORT" (start the server with --admin
// 127.0.0.1:0).
std::uint16_t admin_port(running_server& server);

// An echo-server with the admin endpoint on a free loopback port, and that port.
struct admin_server {
  explicit admin_server(std::vector<std::string> args)
      : server(with_admin(std::move(args))), port(admin_port(server)) {}
  static std::vector<std::string> with_admin(std::vector<std::string> args) {
    args.insert(args.end(), {"--admin", "127.0.0.1:0"});
    return args;
  }

  running_server server;
  std::uint16_t port;
};

}  // namespace echo::test
