// echo-client: parse the command line, run the mode it picks, exit with its code.

#include "client/bench.hpp"
#include "client/client_options.hpp"
#include "client/interactive.hpp"
#include "client/one_shot.hpp"
#include "client/pipe_mode.hpp"
#include "client/self_test.hpp"
#include "client/udp_bench.hpp"
#include "client/udp_one_shot.hpp"
#include "client/udp_pipe.hpp"
#include "client/udp_self_test.hpp"
#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/tls.hpp"

#include <unistd.h>

#include <csignal>
#include <exception>
#include <iostream>

namespace {

echo::exit_code run_udp(const echo::client_options& options, const echo::logger& log) {
  switch (options.mode) {
    case echo::client_mode::one_shot:
      return echo::udp_one_shot(options, log).run();
    case echo::client_mode::pipe:
      return echo::udp_pipe(options, log, false).run();
    case echo::client_mode::interactive:
      return echo::udp_pipe(options, log, true).run();
    case echo::client_mode::self_test:
      return echo::udp_self_test(options, log).run();
    case echo::client_mode::bench:
      return echo::udp_bench(options, log).run();
  }
  return echo::exit_code::failure;
}

echo::exit_code run(const echo::client_options& options, const echo::logger& log) {
  if (options.is_udp) return run_udp(options, log);
  switch (options.mode) {
    case echo::client_mode::one_shot:
      return echo::one_shot(options, log).run();
    case echo::client_mode::pipe:
      return echo::pipe_mode(options, log).run();
    case echo::client_mode::interactive:
      return echo::interactive(options, log).run();
    case echo::client_mode::self_test:
      return echo::self_test(options, log).run();
    case echo::client_mode::bench:
      return echo::bench(options, log).run();
  }
  return echo::exit_code::failure;
}

}  // namespace

int main(int argc, char* argv[]) {
  auto parsed = echo::parse_client_options(argc, argv, ::isatty(STDIN_FILENO) == 1);
  if (auto* early = std::get_if<echo::early_exit>(&parsed)) {
    (early->code == echo::exit_code::ok ? std::cout : std::cerr) << early->text;
    return echo::to_int(early->code);
  }
  const auto& options = std::get<echo::client_options>(parsed);
  // A server that goes away while we write must be an error code, not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  const echo::logger log(options.is_verbose ? echo::log_level::debug : echo::log_level::warning);
  try {
    return echo::to_int(run(options, log));
  } catch (const echo::tls_error& e) {
    // A --tls-ca, --tls-cert or --tls-key file that cannot be loaded: one line naming it.
    return echo::to_int(echo::report({echo::exit_code::failure, e.what()}));
  } catch (const std::exception& e) {
    return echo::to_int(
        echo::report({echo::exit_code::failure, std::string("fatal: ") + e.what()}));
  }
}
