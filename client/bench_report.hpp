#pragma once
// The end of a --bench run, from what its flows counted in bench_state: messages/s, MB/s, latency
// percentiles, errors, mismatches and the client's CPU per message on stdout, as a short report
// or (--json, --json-stream) one JSON object; and the one error line on stderr when open-loop
// connections fell behind their schedule. Called by bench once the flows have stopped; the
// figures come from the state alone. While it runs, bench_progress shows each second.

#include "client/bench_state.hpp"
#include "client/bench_threads.hpp"
#include "client/client_options.hpp"

#include <cstdint>
#include <string>

namespace echo {

// state: what all the reactors counted (bench_threads::merged); threads: for the CPU time over
// the window and each reactor's messages.
void print_bench_report(const client_options& options, const bench_state& state,
                        const bench_threads& threads);

// --json's per-reactor message counts: "[n1, n2]".
std::string thread_messages_json(const bench_threads& threads);

// The client's CPU per message echoed, in microseconds: the cost of the load itself, which must
// stay well below the server's per echo for the figures to be the server's. 0 when none was.
double cpu_us_per_message(double cpu_us, std::uint64_t messages);

// Each second of the window, as bench_threads merges them: with --json-stream one JSON object a
// line on stdout (iperf3's interval objects); otherwise, on a terminal, a progress line on stderr
// rewritten in place; else nothing. `unit` names the rate on the progress line ("msg/s").
class bench_progress {
 public:
  bench_progress(const client_options& options, const char* unit);
  void on_interval(const bench_interval& interval);
  // Ends the progress line, if one was shown.
  void finish();

 private:
  const bench_options& options_;
  const char* unit_;
  bool is_terminal_;
  bool is_shown_ = false;
  std::uint64_t errors_ = 0;
};

// One line however many connections fell behind: the rate asked for was not what was measured.
// Prints nothing when none did.
void report_fell_behind(const bench_state& state);

}  // namespace echo
