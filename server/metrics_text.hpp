#pragma once
// The Prometheus text exposition format (version 0.0.4) of a server's counters: what
// `GET /metrics` answers. Plain text from a stats snapshot; the HTTP side is
// server/admin_endpoint.

#include "server/impairment_settings.hpp"
#include "server/stats.hpp"

#include <string>

namespace echo {

// Every metric with its # HELP and # TYPE lines. `process_start_time` is seconds since the Unix
// epoch, as Prometheus's standard process_start_time_seconds has it. `impairment`: the settings in
// effect, shown as gauges in base units (seconds, bytes, ratios from 0 to 1).
std::string prometheus_text(const stats& s, double process_start_time,
                            const impairment::settings& impairment = {});

}  // namespace echo
