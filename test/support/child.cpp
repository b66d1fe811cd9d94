#include "support/child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace echo::test {

namespace {

// Without pidfd_open, wait_exit falls back to checking waitpid at this interval.
constexpr int fallback_poll_ms = 5;

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_in_child(const std::function<void()>& setup, const char* path,
                                char* const argv[], int error_fd) {
  // Give the program the default signal state, whatever the test binary changed (it ignores
  // SIGPIPE, and an ignored signal would stay ignored across exec).
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  setup();
  ::execv(path, argv);
  const int error = errno;
  [[maybe_unused]] const ssize_t ignored = ::write(error_fd, &error, sizeof error);
  ::_exit(127);
}

}  // namespace

std::optional<std::string> find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

child::child(const std::vector<std::string>& argv, const std::function<void()>& setup_in_child) {
  if (argv.empty()) throw std::invalid_argument("child: empty argv");
  const auto path = find_program(argv[0]);
  if (!path) throw std::runtime_error("cannot run '" + argv[0] + "': not found on PATH");

  // Everything the child needs is built before fork: it must not allocate afterwards.
  std::vector<char*> c_argv;
  for (const std::string& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);

  // exec closes this close-on-exec pipe: EOF means exec succeeded, an int means it failed.
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(error_pipe[0]);
    ::close(error_pipe[1]);
    throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
  }
  if (pid_ == 0) exec_in_child(setup_in_child, path->c_str(), c_argv.data(), error_pipe[1]);

  ::close(error_pipe[1]);
  int exec_error = 0;
  ssize_t n;
  do {
    n = ::read(error_pipe[0], &exec_error, sizeof exec_error);
  } while (n < 0 && errno == EINTR);
  ::close(error_pipe[0]);
  if (n > 0) {
    int status;
    ::waitpid(pid_, &status, 0);
    status_ = decode_status(status);
    throw std::runtime_error("cannot run '" + *path + "': " + std::strerror(exec_error));
  }
  pidfd_ = open_pidfd(pid_);
}

child::~child() {
  terminate();
  if (pidfd_ >= 0) ::close(pidfd_);
}

void child::signal(int signal_number) {
  if (!status_) ::kill(pid_, signal_number);
}

bool child::try_reap() {
  if (status_) return true;
  int status;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) status_ = decode_status(status);
  return status_.has_value();
}

std::optional<int> child::wait_exit(deadline d) {
  while (!try_reap()) {
    if (d.is_expired()) return std::nullopt;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      ::poll(&p, 1, d.poll_timeout_ms());
    } else {
      ::poll(nullptr, 0, std::min(d.poll_timeout_ms(), fallback_poll_ms));
    }
  }
  return status_;
}

int child::terminate(std::chrono::milliseconds grace) {
  if (try_reap()) return *status_;
  signal(SIGTERM);
  if (const auto code = wait_exit(deadline::in(grace))) return *code;
  signal(SIGKILL);
  while (!wait_exit(deadline::in(std::chrono::seconds(1)))) {
  }
  return *status_;
}

}  // namespace echo::test
