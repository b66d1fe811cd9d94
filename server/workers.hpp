#pragma once
// --workers N: N copies of the one-reactor server, each on its own thread with its own
// io_context and its own listener on the same port (SO_REUSEPORT), sharing nothing on the data
// path. Each stops on SIGINT/SIGTERM by itself (every signal_set hears the signal); once all have
// stopped, one summary line adds up their counters; worker 0's stats line (SIGUSR1,
// --stats-interval) adds them up while they run. With N = 1 this is simply server::run().

#include "common/errors.hpp"
#include "common/log.hpp"
#include "server/server_options.hpp"

namespace echo {

exit_code run_workers(const server_options& options, const logger& log);

}  // namespace echo
