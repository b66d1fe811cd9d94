#include "support/metrics_scrape.hpp"

#include "support/tcp_client.hpp"

#include <chrono>
#include <regex>
#include <stdexcept>
#include <thread>

namespace echo::test {

std::uint16_t metrics_port(running_server& server) {
  const auto match = server.wait_for_log(std::regex("metrics on 127\\.0\\.0\\.1:([0-9]+)\n"));
  if (!match) throw std::runtime_error("no 'metrics on' line in:\n" + server.log());
  return static_cast<std::uint16_t>(std::stoi((*match)[1]));
}

std::optional<std::string> scrape_metrics(std::uint16_t port, deadline d) {
  tcp_client c = tcp_client::connect("127.0.0.1", port, d);
  c.send_all("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", d);
  const std::string raw = c.read_until_eof(d).data;
  const auto end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 200 ", 0) != 0 || end == std::string::npos) return std::nullopt;
  return raw.substr(end + 4);
}

std::optional<double> metric_value(const std::string& page, const std::string& sample) {
  const std::string key = "\n" + sample + " ";
  const std::string lines = "\n" + page;
  const auto at = lines.find(key);
  if (at == std::string::npos) return std::nullopt;
  return std::stod(lines.substr(at + key.size()));
}

std::pair<std::string, bool> wait_for_page(std::uint16_t port,
                                           const std::function<bool(const std::string&)>& is_done,
                                           deadline d) {
  std::string page;
  for (;;) {
    if (const auto answer = scrape_metrics(port, d)) {
      page = *answer;
      if (is_done(page)) return {page, true};
    }
    if (d.is_expired()) return {page, false};
    // A condition wait: the next scrape, a little later, not a fixed pause before one read.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::pair<std::string, bool> wait_for_metric(std::uint16_t port, const std::string& sample,
                                             double expected, deadline d) {
  return wait_for_page(
      port, [&](const std::string& page) { return metric_value(page, sample) == expected; }, d);
}

std::string udp_dropped(const std::string& reason) {
  return "echo_udp_dropped_total{reason=\"" + reason + "\"}";
}

namespace {

std::vector<std::string> with_udp_metrics(std::vector<std::string> args) {
  args.insert(args.begin(), {"--udp", "--metrics", "127.0.0.1:0"});
  return args;
}

}  // namespace

udp_server_with_metrics::udp_server_with_metrics(std::vector<std::string> args)
    : server(with_udp_metrics(std::move(args))), metrics(metrics_port(server)) {}

}  // namespace echo::test
