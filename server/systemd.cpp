#include "server/systemd.hpp"

#include <systemd/sd-daemon.h>

#include <cstring>

namespace echo::systemd {

passed_socket take_passed_socket() {
  const int count = sd_listen_fds(1);
  if (count == 0) return {};
  if (count < 0) {
    return {-1, "socket activation: cannot read LISTEN_FDS: " + std::string(std::strerror(-count))};
  }
  if (count > 1) {
    return {-1, "socket activation: " + std::to_string(count) +
                    " sockets passed, expected one (a single ListenStream= in the .socket unit)"};
  }
  return {SD_LISTEN_FDS_START, {}};
}

// sd_notify's result is not checked: a manager that does not listen is no reason to stop serving,
// and without $NOTIFY_SOCKET it does nothing and returns 0.
void notify_ready(std::string_view status) {
  const std::string message = "READY=1\nSTATUS=" + std::string(status);
  sd_notify(0, message.c_str());
}

void notify_stopping() { sd_notify(0, "STOPPING=1"); }

}  // namespace echo::systemd
