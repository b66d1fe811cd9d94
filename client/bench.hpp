#pragma once
// --bench: load an echo server and measure it. N connections each keep K fixed-size messages in
// flight (closed loop), or send on a fixed schedule (--rate, open loop: latency counts from the
// scheduled time, so a slow server cannot hide its queueing), or open a new connection per
// message (--churn). Every echoed byte is checked. Reports messages/s, MB/s, latency percentiles
// from a log-bucketed histogram, errors and mismatches; --json prints one object instead.
// Created by main; run() returns the exit code (failure when any error or mismatch was seen).
// This class sequences the run: one probe connection, then the flows (a bench_load on each of
// --threads reactors, bench_threads) for warmup plus duration, a progress line on a terminal or
// (--json-stream) a JSON line each second, then the merged report (bench_report). Open loop: one
// connection that falls behind its schedule stops and counts one error, and run() prints one
// line saying the rate cannot be sustained.

#include "client/client_options.hpp"
#include "client/client_tls.hpp"
#include "common/errors.hpp"
#include "common/log.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>

namespace echo {

class bench {
 public:
  bench(const client_options& options, const logger& log);
  exit_code run();

 private:
  const client_options& options_;
  const logger& log_;
  std::unique_ptr<client_tls> tls_;     // nullptr without TLS; outlives every flow
  boost::asio::io_context context_{1};  // the probe's
};

}  // namespace echo
