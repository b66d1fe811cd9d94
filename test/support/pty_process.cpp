#include "support/pty_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace echo::test {

namespace {

// Between fork and exec: only async-signal-safe calls.
void become_terminal_session(const char* slave_name) {
  ::setsid();  // a new session without a controlling terminal, so that the pty can become it
  const int slave = ::open(slave_name, O_RDWR);
  if (slave < 0) ::_exit(126);
  ::ioctl(slave, TIOCSCTTY, 0);
  ::dup2(slave, STDIN_FILENO);
  ::dup2(slave, STDOUT_FILENO);
  ::dup2(slave, STDERR_FILENO);
  if (slave > STDERR_FILENO) ::close(slave);
}

}  // namespace

pty_process::pty_process(const std::vector<std::string>& argv) {
  master_fd_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_fd_ < 0)
    throw std::runtime_error("posix_openpt: " + std::string(std::strerror(errno)));
  char slave_name[128];
  if (::grantpt(master_fd_) != 0 || ::unlockpt(master_fd_) != 0 ||
      ::ptsname_r(master_fd_, slave_name, sizeof slave_name) != 0) {
    const int error = errno;
    ::close(master_fd_);
    throw std::runtime_error("cannot set up a pty: " + std::string(std::strerror(error)));
  }
  ::fcntl(master_fd_, F_SETFL, ::fcntl(master_fd_, F_GETFL) | O_NONBLOCK);
  try {
    child_.emplace(argv, [&slave_name] { become_terminal_session(slave_name); });
  } catch (...) {
    ::close(master_fd_);
    throw;
  }
}

pty_process::~pty_process() {
  if (child_) child_->terminate();
  ::close(master_fd_);
}

bool pty_process::write(std::string_view keys, deadline d) {
  while (!keys.empty()) {
    const ssize_t n = ::write(master_fd_, keys.data(), keys.size());
    if (n > 0) {
      keys.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    pollfd p{master_fd_, POLLOUT, 0};
    if (::poll(&p, 1, d.poll_timeout_ms()) == 0) return false;
  }
  return true;
}

bool pty_process::read_until(std::string_view text, deadline d) {
  for (;;) {
    const std::size_t at = transcript_.find(text, consumed_);
    if (at != std::string::npos) {
      consumed_ = at + text.size();
      return true;
    }
    if (is_closed_ || d.is_expired()) return false;
    read_some(d);
  }
}

bool pty_process::read_some(deadline d) {
  pollfd p{master_fd_, POLLIN, 0};
  if (::poll(&p, 1, d.poll_timeout_ms()) <= 0) return !is_closed_;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(master_fd_, buffer, sizeof buffer);
    if (n > 0) {
      transcript_.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    // EIO: every slave descriptor is closed, the program has gone.
    is_closed_ = true;
    return false;
  }
}

}  // namespace echo::test
