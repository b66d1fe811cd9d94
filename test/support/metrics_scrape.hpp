#pragma once
// Reading a server's --metrics page from a test: the port from its "metrics on" line, one scrape
// over plain HTTP/1.1, a sample's value, and a wait until a sample reaches a value (the counters
// move as the server's handlers run, so tests wait on them rather than read them once).

#include "support/deadline.hpp"
#include "support/running_server.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace echo::test {

// The port of "metrics on 127.0.0.1:PORT" in the server's log (start it with --metrics
// 127.0.0.1:0). Throws std::runtime_error when the line does not come.
std::uint16_t metrics_port(running_server& server);

// GET /metrics: the body of a 200 answer, nullopt otherwise.
std::optional<std::string> scrape_metrics(std::uint16_t port,
                                          deadline d = deadline::after_default());

// The value of a sample ("echo_udp_datagrams_received_total",
// `echo_udp_dropped_total{reason="low_port"}`) on a page; nullopt when the page has none.
std::optional<double> metric_value(const std::string& page, const std::string& sample);

// Scrapes until `is_done(page)` holds; returns the last page and whether it did.
std::pair<std::string, bool> wait_for_page(std::uint16_t port,
                                           const std::function<bool(const std::string&)>& is_done,
                                           deadline d = deadline::after_default());

// Scrapes until `sample` equals `expected`; returns the last page and whether it did.
std::pair<std::string, bool> wait_for_metric(std::uint16_t port, const std::string& sample,
                                             double expected,
                                             deadline d = deadline::after_default());

// `echo_udp_dropped_total{reason="low_port"}`: the sample of one reason a datagram was dropped.
std::string udp_dropped(const std::string& reason);

// An echo-server started with `--udp --metrics 127.0.0.1:0` and then `args`, and its metrics port.
struct udp_server_with_metrics {
  explicit udp_server_with_metrics(std::vector<std::string> args);

  running_server server;
  std::uint16_t metrics;
};

}  // namespace echo::test
