#include "support/echo_client.hpp"

namespace echo::test {

std::string echo_client_path() { return ECHO_CLIENT_PATH; }

std::vector<std::string> client_command(const std::vector<std::string>& args) {
  std::vector<std::string> argv{echo_client_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

run_result run_client(const std::vector<std::string>& args, std::string_view input, deadline d) {
  return run_to_exit(client_command(args), input, d);
}

run_result wait_for_client(process& client, deadline d) {
  run_result r;
  r.exit_code = client.wait_exit(d);
  // The pipes may still hold the last bytes it wrote before exiting.
  client.read_stdout_until_eof(d);
  client.read_stderr_until_eof(d);
  r.out = client.stdout_text();
  r.err = client.stderr_text();
  return r;
}

std::string client_error(const std::string& message) { return "echo-client: " + message + "\n"; }

std::string loopback(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace echo::test
