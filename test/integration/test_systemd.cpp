// systemd integration: READY=1 and STOPPING=1 on $NOTIFY_SOCKET (read here from a datagram socket
// of our own), socket activation through Debian's systemd-socket-activate (the server adopts the
// socket it is handed, with one worker or several), the one-line refusals of sockets it cannot
// serve, and `systemd-analyze verify` on the unit files in deploy/.

#include "support/child.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/scratch.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

// What systemd's manager does for Type=notify: a datagram socket at $NOTIFY_SOCKET, read here.
class notify_listener {
 public:
  notify_listener() : path_(dir_.file("notify")) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("notify socket: " + std::string(std::strerror(errno)));
    }
  }
  ~notify_listener() { ::close(fd_); }
  notify_listener(const notify_listener&) = delete;
  notify_listener& operator=(const notify_listener&) = delete;

  const std::string& path() const { return path_; }

  // The next datagram; nullopt when none came by the deadline.
  std::optional<std::string> receive(deadline d = deadline::after_default()) {
    for (;;) {
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n >= 0) return std::string(buffer, static_cast<std::size_t>(n));
      if (errno != EAGAIN && errno != EINTR) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, d.poll_timeout_ms()) == 0) return std::nullopt;
    }
  }

 private:
  temp_dir dir_{"systemd"};
  std::string path_;
  int fd_ = -1;
};

// `systemd-socket-activate -l 127.0.0.1:PORT [-l more...] echo-server ARGS...` on a free port.
// It binds and listens, then starts the server when the first client connects, handing it the
// socket as descriptor 3 (LISTEN_FDS=1, LISTEN_PID set to the server's process).
struct activation {
  std::uint16_t port = 0;
  std::unique_ptr<process> proc;
};

activation socket_activate(const std::vector<std::string>& server_args,
                           const std::vector<std::string>& more_listen = {}) {
  // Another program may take the free port before systemd-socket-activate binds it: try again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    activation a;
    a.port = free_port();
    const std::string address = "127.0.0.1:" + std::to_string(a.port);
    std::vector<std::string> argv = {"systemd-socket-activate", "-l", address};
    for (const auto& extra : more_listen) argv.insert(argv.end(), {"-l", extra});
    argv.push_back(echo_server_path());
    argv.insert(argv.end(), server_args.begin(), server_args.end());
    a.proc = std::make_unique<process>(argv);
    const std::string listening = "Listening on " + address + " as 3.";
    const bool is_listening = a.proc->wait_for_stderr(
        [&](const std::string& log) {
          return log.find(listening) != std::string::npos ||
                 log.find("Failed") != std::string::npos;
        },
        deadline::after_default());
    if (is_listening && a.proc->stderr_text().find(listening) != std::string::npos) return a;
  }
  throw std::runtime_error("systemd-socket-activate did not listen on a free port");
}

const std::string activation_line =
    "info: socket activation: serving the socket systemd passed; --host and --port are ignored\n";

// The log line of a setup failure, timestamp and all, as the whole of stderr.
std::regex error_log_line(const std::string& message) {
  return std::regex(R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z error: )" +
                    regex_escape(message) + "\n");
}

// `sh -c '...' echo-server ARGS`: the server with descriptor 3 open on /dev/null, and the
// environment `assignments` (which may use $$: sh execs the server, so that is its process).
run_result run_with_fd3(const std::string& assignments, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      "sh", "-c", "exec 3</dev/null; " + assignments + " exec \"$0\" \"$@\"", echo_server_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_to_exit(argv);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("systemd: READY=1 once listening, STOPPING=1 when SIGTERM begins the shutdown",
          "[integration][systemd]") {
  const std::string workers = GENERATE(as<std::string>{}, "1", "2");
  CAPTURE(workers);
  notify_listener manager;
  running_server server({"--workers", workers}, {"env", "NOTIFY_SOCKET=" + manager.path()});
  // The constructor has seen "listening on": the status names the same address.
  CHECK(manager.receive() ==
        "READY=1\nSTATUS=listening on 127.0.0.1:" + std::to_string(server.port()));
  auto client = tcp_client::connect(server.host(), server.port());
  client.send_all("still serving\n");
  CHECK(client.read_until("\n").data == "still serving\n");

  server.proc().signal(SIGTERM);
  CHECK(manager.receive() == std::optional<std::string>("STOPPING=1"));
  client.close();
  CHECK(server.wait_exit() == 0);
  // One READY and one STOPPING for the whole process, whatever the number of workers.
  CHECK(manager.receive(deadline::in(std::chrono::milliseconds(0))) == std::nullopt);
}

TEST_CASE("systemd: without a manager at NOTIFY_SOCKET the server serves as usual",
          "[integration][systemd]") {
  temp_dir dir("systemd");
  running_server server({}, {"env", "NOTIFY_SOCKET=" + dir.file("nobody-listens")});
  auto client = tcp_client::connect(server.host(), server.port());
  client.send_all("hello\n");
  CHECK(client.read_until("\n").data == "hello\n");
}

TEST_CASE("systemd: socket activation, the server adopts the socket systemd-socket-activate passes",
          "[integration][systemd]") {
  const std::string workers = GENERATE(as<std::string>{}, "1", "2");
  CAPTURE(workers);
  // An address this machine does not have: binding it would fail, so the server must not try.
  activation a = socket_activate({"--host", "192.0.2.1", "--port", "9", "--workers", workers});
  // The first connection waits in the socket's backlog while the server starts.
  constexpr std::size_t client_count = 20;
  std::vector<tcp_client> clients;
  for (std::size_t i = 0; i < client_count; ++i) {
    clients.push_back(tcp_client::connect("127.0.0.1", a.port));
    clients.back().send_all("client " + std::to_string(i) + "\n");
  }
  for (std::size_t i = 0; i < client_count; ++i) {
    CHECK(clients[i].read_until("\n").data == "client " + std::to_string(i) + "\n");
  }
  const std::string listening = "listening on 127.0.0.1:" + std::to_string(a.port) + " (reply echo";
  CHECK(a.proc->read_stderr_until(listening, deadline::after_default()));
  INFO("log:\n" << a.proc->stderr_text());
  CHECK(a.proc->stderr_text().find(activation_line) != std::string::npos);
  if (workers == "2") CHECK(a.proc->stderr_text().find(", 2 workers)") != std::string::npos);

  clients.clear();
  a.proc->signal(SIGTERM);
  CHECK(a.proc->wait_exit(deadline::after_default()) == 0);
  CHECK(a.proc->read_stderr_until("shut down: served 20 connections", deadline::after_default()));
}

TEST_CASE("systemd: a passed descriptor that is not a socket is refused in one line, exit 1",
          "[integration][systemd]") {
  const std::string workers = GENERATE(as<std::string>{}, "1", "2");
  CAPTURE(workers);
  const run_result r = run_with_fd3("LISTEN_PID=$$ LISTEN_FDS=1", {"--workers", workers});
  CHECK(r.exit_code == 1);
  CHECK(std::regex_match(r.err, error_log_line("descriptor 3 passed by socket activation is not a "
                                               "TCP socket (ListenStream= needs an address or a "
                                               "port)")));
}

TEST_CASE("systemd: descriptors passed to another process are not ours to take",
          "[integration][systemd]") {
  // LISTEN_PID names process 1: the variables are for someone else, and the server binds its own.
  std::vector<std::string> wrapper = {"env", "LISTEN_PID=1", "LISTEN_FDS=1"};
  running_server server({}, wrapper);
  CHECK(server.log().find("socket activation") == std::string::npos);
  auto client = tcp_client::connect(server.host(), server.port());
  client.send_all("mine\n");
  CHECK(client.read_until("\n").data == "mine\n");
}

TEST_CASE("systemd: two passed sockets, or a Unix one, are refused in one line, exit 1",
          "[integration][systemd]") {
  SECTION("two TCP sockets") {
    activation a = socket_activate({}, {"127.0.0.1:" + std::to_string(free_port())});
    auto client = tcp_client::connect("127.0.0.1", a.port);
    CHECK(a.proc->wait_exit(deadline::after_default()) == 1);
    CHECK(a.proc->read_stderr_until_eof(deadline::after_default()));
    CHECK_THAT(a.proc->stderr_text(),
               Catch::Contains("error: socket activation: two stream sockets passed (expected "
                               "one ListenStream= and at most one ListenDatagram= in the .socket "
                               "unit)\n"));
  }
  SECTION("a Unix stream socket") {
    temp_dir dir("systemd");
    const std::string path = dir.file("echo.sock");
    process p({"systemd-socket-activate", "-l", path, echo_server_path()});
    REQUIRE(p.read_stderr_until("Listening on " + path + " as 3.", deadline::after_default()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    CHECK(p.wait_exit(deadline::after_default()) == 1);
    ::close(fd);
    CHECK(p.read_stderr_until_eof(deadline::after_default()));
    CHECK_THAT(p.stderr_text(), Catch::Contains("error: descriptor 3 passed by socket activation "
                                                "is not a TCP socket"));
  }
}

TEST_CASE("systemd: systemd-analyze verify accepts deploy/echo-server.service and .socket",
          "[integration][systemd]") {
  if (!find_program("systemd-analyze")) {
    WARN("skipped: systemd-analyze is not installed (Debian package systemd)");
    return;
  }
  // The units name /usr/bin/echo-server, which verify checks exists: point them at our build.
  temp_dir dir("systemd");
  std::vector<std::string> units;
  for (const std::string name : {"echo-server.service", "echo-server.socket"}) {
    std::string text = read_file(std::string(ECHO_DEPLOY_DIR) + "/" + name);
    REQUIRE(!text.empty());
    text = std::regex_replace(text, std::regex("/usr/bin/echo-server"), echo_server_path());
    units.push_back(dir.file(name));
    std::ofstream(units.back()) << text;
  }
  // Documentation=man:echo-server(1) is checked too, against the man page built here (unless
  // the build skipped man pages: -DECHO_MAN_PAGES=OFF).
  const std::string man_dir = ECHO_MAN_DIR;
  std::vector<std::string> argv = {"env", "MANPATH=" + man_dir, "systemd-analyze", "verify"};
  if (::access((man_dir + "/man1/echo-server.1").c_str(), R_OK) != 0) {
    WARN("no man page in " << man_dir << ": Documentation= not checked");
    argv.push_back("--man=no");
  }
  argv.insert(argv.end(), units.begin(), units.end());
  const run_result r = run_to_exit(argv);
  INFO("systemd-analyze verify said:\n" << r.err << r.out);
  CHECK(r.exit_code == 0);
  // Unknown keys are only warnings: any output at all is a failure.
  CHECK(r.err.empty());
  CHECK(r.out.empty());
}

// ListenDatagram=: systemd-socket-activate --datagram starts the server on the first datagram,
// which waits in the passed socket and is answered like any other.
TEST_CASE("systemd: a passed datagram socket is served with --udp --no-tcp, and needs --udp",
          "[integration][systemd][udp]") {
  const auto activate = [](const std::vector<std::string>& server_args, std::uint16_t& port) {
    port = free_port();
    const std::string address = "127.0.0.1:" + std::to_string(port);
    std::vector<std::string> argv = {"systemd-socket-activate", "--datagram", "-l", address,
                                     echo_server_path()};
    argv.insert(argv.end(), server_args.begin(), server_args.end());
    auto proc = std::make_unique<process>(argv);
    REQUIRE(proc->read_stderr_until("Listening on " + address, deadline::after_default()));
    return proc;
  };
  const auto send_datagram = [](std::uint16_t port, const std::string& text) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof to) == static_cast<ssize_t>(text.size()));
    return fd;
  };
  SECTION("served") {
    std::uint16_t port = 0;
    auto proc = activate({"--udp", "--no-tcp"}, port);
    const int fd = send_datagram(port, "activated\n");
    pollfd ready{fd, POLLIN, 0};
    REQUIRE(::poll(&ready, 1, 10'000) == 1);
    char reply[64] = {};
    CHECK(std::string(reply, static_cast<std::size_t>(::recv(fd, reply, sizeof reply, 0))) ==
          "activated\n");
    ::close(fd);
    proc->signal(SIGTERM);
    CHECK(proc->wait_exit(deadline::after_default()) == 0);
    CHECK_THAT(proc->stderr_text(), Catch::Contains("(UDP only, reply echo)"));
  }
  SECTION("without --udp: one line, exit 1") {
    std::uint16_t port = 0;
    auto proc = activate({}, port);
    ::close(send_datagram(port, "x"));
    CHECK(proc->wait_exit(deadline::after_default()) == 1);
    CHECK(proc->read_stderr_until_eof(deadline::after_default()));
    CHECK_THAT(proc->stderr_text(),
               Catch::Contains("error: socket activation passed a datagram socket "
                               "(ListenDatagram=): add --udp\n"));
  }
}
