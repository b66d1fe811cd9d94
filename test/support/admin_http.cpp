#include "support/admin_http.hpp"

#include "support/metrics_scrape.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace echo::test {

std::optional<std::string> http_response::header(const std::string& lower_name) const {
  const std::string key = "\r\n" + lower_name + ": ";
  const auto at = ("\r\n" + headers).find(key);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + key.size() - 2;
  return headers.substr(start, headers.find("\r\n", start) - start);
}

http_response parse_response(const std::string& raw) {
  http_response r;
  const auto end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || end == std::string::npos || raw.size() < 12) return r;
  r.status = std::atoi(raw.substr(9, 3).c_str());
  const auto first_line_end = raw.find("\r\n");
  r.headers = raw.substr(first_line_end + 2, end + 2 - (first_line_end + 2));
  std::transform(r.headers.begin(), r.headers.end(), r.headers.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  r.body = raw.substr(end + 4);
  r.is_complete = true;
  return r;
}

http_response http_request_on(tcp_client& c, const std::string& method, const std::string& target,
                              const std::string& body, deadline d) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "Connection: close\r\n\r\n" + body;
  c.send_all(request, d);
  return parse_response(c.read_until_eof(d).data);
}

http_response http_request(std::uint16_t port, const std::string& method, const std::string& target,
                           const std::string& body, deadline d) {
  tcp_client c = tcp_client::connect("127.0.0.1", port, d);
  return http_request_on(c, method, target, body, d);
}

std::uint16_t admin_port(running_server& server) { return metrics_port(server); }

}  // namespace echo::test
