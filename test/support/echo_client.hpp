#pragma once
// The echo-client binary under test (its path is compiled in by CMake), and shorthands to run it.

#include "support/deadline.hpp"
#include "support/process.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace echo::test {

std::string echo_client_path();

// {echo-client, args...}
std::vector<std::string> client_command(const std::vector<std::string>& args);

// Runs `echo-client args...` to completion with `input` on a pipe as stdin (so, without -m or
// --test, in pipe mode).
run_result run_client(const std::vector<std::string>& args, std::string_view input = {},
                      deadline d = deadline::after_default());

// Waits for a client started as a `process` (with stdout and stderr piped) to exit, then collects
// what it printed. exit_code is nullopt if it is still running at the deadline.
run_result wait_for_client(process& client, deadline d = deadline::after_default());

// The client's one line on stderr for `message`: "echo-client: MESSAGE\n".
std::string client_error(const std::string& message);

// "127.0.0.1:PORT", the way the client names its server in errors.
std::string loopback(std::uint16_t port);

}  // namespace echo::test
