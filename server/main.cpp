// echo-server: parse the command line, run the reactor (or one per --workers), exit with its code.

#include "common/errors.hpp"
#include "common/log.hpp"
#include "server/descriptor_limit.hpp"
#include "server/server_options.hpp"
#include "server/systemd.hpp"
#include "server/workers.hpp"

#include <exception>
#include <iostream>
#include <random>

int main(int argc, char* argv[]) {
  auto parsed = echo::parse_server_options(argc, argv);
  if (auto* early = std::get_if<echo::early_exit>(&parsed)) {
    (early->code == echo::exit_code::ok ? std::cout : std::cerr) << early->text;
    return echo::to_int(early->code);
  }
  auto& options = std::get<echo::server_options>(parsed);
  echo::logger log(options.verbosity, 2, options.log_format);
  echo::raise_descriptor_limit();
  const auto passed = echo::systemd::take_passed_socket();
  if (!passed.error.empty()) {
    log.error(passed.error);
    return echo::to_int(echo::exit_code::failure);
  }
  options.passed_fd = passed.fd;
  options.passed_udp_fd = passed.udp_fd;
  // One seed for the process, logged with the impairments, so that a run can be replayed.
  if (!options.seed) options.seed = std::random_device()();
  try {
    return echo::to_int(echo::run_workers(options, log));
  } catch (const std::exception& e) {
    log.error(std::string("fatal: ") + e.what());
    return echo::to_int(echo::exit_code::failure);
  }
}
