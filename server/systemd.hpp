#pragma once
// What the server tells systemd and takes from it, through libsystemd: readiness and stopping
// notifications to $NOTIFY_SOCKET (Type=notify units), and the listening socket of socket
// activation ($LISTEN_FDS, $LISTEN_PID). Without those variables every call does nothing, so the
// server runs the same from a shell. main() takes the passed socket once, before any thread
// starts; the notifications may be sent from any thread.

#include <string>
#include <string_view>

namespace echo::systemd {

// The sockets that socket activation passed, if any: at most one stream socket (ListenStream=,
// TCP) and one datagram socket (ListenDatagram=, UDP); -1 for one not passed. error is a one-line
// reason when the passed descriptors cannot be served (more than two, or two of one kind).
struct passed_socket {
  int fd = -1;
  int udp_fd = -1;
  std::string error;
};

// Reads and unsets $LISTEN_FDS and $LISTEN_PID, so that nothing we start inherits them.
passed_socket take_passed_socket();

// READY=1 with STATUS=<status>: every listener is accepting.
void notify_ready(std::string_view status);
// STOPPING=1: a graceful shutdown has begun.
void notify_stopping();

}  // namespace echo::systemd
