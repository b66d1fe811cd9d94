#include "support/udp_echo_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>

namespace echo::test {

namespace {

std::vector<std::string> command(const std::vector<std::string>& options) {
  std::vector<std::string> argv{"python3", ECHO_UDP_ECHO_PATH};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("0");
  return argv;
}

}  // namespace

udp_echo_server::udp_echo_server(const std::vector<std::string>& options)
    : process_(command(options), stdio_pipes{false, true, true}) {
  if (!process_.read_stdout_until("\n", deadline::after_default())) {
    throw std::runtime_error("udp_echo.py did not start: " + process_.stderr_text());
  }
  std::smatch match;
  const std::string out = process_.stdout_text();
  if (!std::regex_search(out, match, std::regex("listening on ([0-9]+)"))) {
    throw std::runtime_error("udp_echo.py said: " + out);
  }
  port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
}

std::uint16_t unused_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace echo::test
