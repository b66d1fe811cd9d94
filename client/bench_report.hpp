#pragma once
// The end of a --bench run, from what its flows counted in bench_state: messages/s, MB/s, latency
// percentiles, errors and mismatches on stdout, as a short report or (--json) one JSON object;
// and the one error line on stderr when open-loop connections fell behind their schedule.
// Called by bench once the flows have stopped; the figures come from the state alone.

#include "client/bench_state.hpp"
#include "client/client_options.hpp"

namespace echo {

void print_bench_report(const client_options& options, const bench_state& state);

// One line however many connections fell behind: the rate asked for was not what was measured.
// Prints nothing when none did.
void report_fell_behind(const bench_state& state);

}  // namespace echo
