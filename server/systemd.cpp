#include "server/systemd.hpp"

#include <systemd/sd-daemon.h>

#include <cstring>

namespace echo::systemd {

passed_socket take_passed_socket() {
  const int count = sd_listen_fds(1);
  if (count == 0) return {};
  if (count < 0) {
    return {-1, -1,
            "socket activation: cannot read LISTEN_FDS: " + std::string(std::strerror(-count))};
  }
  const std::string expected =
      " (expected one ListenStream= and at most one ListenDatagram= in the .socket unit)";
  if (count > 2) {
    return {-1, -1, "socket activation: " + std::to_string(count) + " sockets passed" + expected};
  }
  passed_socket passed;
  for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + count; ++fd) {
    const bool is_datagram = sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1) > 0;
    int& slot = is_datagram ? passed.udp_fd : passed.fd;
    if (slot >= 0) {
      return {-1, -1,
              std::string("socket activation: two ") + (is_datagram ? "datagram" : "stream") +
                  " sockets passed" + expected};
    }
    slot = fd;
  }
  return passed;
}

// sd_notify's result is not checked: a manager that does not listen is no reason to stop serving,
// and without $NOTIFY_SOCKET it does nothing and returns 0.
void notify_ready(std::string_view status) {
  const std::string message = "READY=1\nSTATUS=" + std::string(status);
  sd_notify(0, message.c_str());
}

void notify_stopping() { sd_notify(0, "STOPPING=1"); }

}  // namespace echo::systemd
