#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace echo::test {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// In the child: make `fd` the standard stream `target`, or /dev/null when fd is -1.
void wire_stream(int fd, int target, int null_flags) {
  if (fd < 0) {
    fd = ::open("/dev/null", null_flags);
    if (fd < 0) return;
  }
  if (fd == target) {
    ::fcntl(fd, F_SETFD, 0);  // dup2 onto itself would keep close-on-exec
  } else {
    ::dup2(fd, target);
  }
}

struct pipe_pair {
  int read = -1;
  int write = -1;

  void open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2 failed: " + std::string(std::strerror(errno)));
    }
    read = fds[0];
    write = fds[1];
  }
  void close_both() {
    close_fd(read);
    close_fd(write);
  }
};

}  // namespace

process::process(const std::vector<std::string>& argv, stdio_pipes pipes) {
  // A child that exits while we write its stdin must give us EPIPE, not kill the test binary.
  std::signal(SIGPIPE, SIG_IGN);

  pipe_pair in, out, err, wake;
  int in_file_fd = -1;
  int out_file_fd = -1;
  try {
    if (pipes.in) {
      in.open();
    } else if (!pipes.in_file.empty()) {
      in_file_fd = ::open(pipes.in_file.c_str(), O_RDONLY | O_CLOEXEC);
      if (in_file_fd < 0) {
        throw std::runtime_error("cannot open " + pipes.in_file + ": " + std::strerror(errno));
      }
    }
    if (pipes.out) {
      out.open();
    } else if (!pipes.out_file.empty()) {
      out_file_fd = ::open(pipes.out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (out_file_fd < 0) {
        throw std::runtime_error("cannot open " + pipes.out_file + ": " + std::strerror(errno));
      }
    }
    if (pipes.err) err.open();
    wake.open();
    const int child_in = pipes.in ? in.read : in_file_fd;
    const int child_out = pipes.out ? out.write : out_file_fd;
    const int child_err = err.write;
    child_.emplace(argv, [child_in, child_out, child_err] {
      wire_stream(child_in, STDIN_FILENO, O_RDONLY);
      wire_stream(child_out, STDOUT_FILENO, O_WRONLY);
      wire_stream(child_err, STDERR_FILENO, O_WRONLY);
    });
  } catch (...) {
    close_fd(in_file_fd);
    close_fd(out_file_fd);
    in.close_both();
    out.close_both();
    err.close_both();
    wake.close_both();
    throw;
  }
  // The child's ends now belong to the child alone, so its exit shows here as EOF.
  close_fd(in.read);
  close_fd(in_file_fd);
  close_fd(out_file_fd);
  close_fd(out.write);
  close_fd(err.write);

  stdin_fd_ = in.write;
  if (stdin_fd_ >= 0) set_nonblocking(stdin_fd_);
  for (auto [s, fd] : {std::pair{&out_, out.read}, std::pair{&err_, err.read}}) {
    s->fd = fd;
    s->is_closed = fd < 0;
    if (fd >= 0) set_nonblocking(fd);
  }
  wake_fds_[0] = wake.read;
  wake_fds_[1] = wake.write;
  reader_ = std::thread([this] { read_loop(); });
}

process::~process() {
  if (child_) child_->terminate();
  const char stop = 'x';
  [[maybe_unused]] const ssize_t ignored = ::write(wake_fds_[1], &stop, 1);
  reader_.join();
  close_fd(stdin_fd_);
  close_fd(out_.fd);
  close_fd(err_.fd);
  close_fd(wake_fds_[0]);
  close_fd(wake_fds_[1]);
}

void process::read_loop() {
  for (;;) {
    std::vector<pollfd> fds{{wake_fds_[0], POLLIN, 0}};
    std::vector<stream*> streams;
    for (stream* s : {&out_, &err_}) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (s->is_closed) continue;
      fds.push_back({s->fd, POLLIN, 0});
      streams.push_back(s);
    }
    if (streams.empty()) return;
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) return;
    bool changed = false;
    for (std::size_t i = 0; i < streams.size(); ++i) {
      if (fds[i + 1].revents != 0) changed |= drain(*streams[i]);
    }
    if (changed) changed_.notify_all();
  }
}

// Reads what the pipe holds now; returns whether anything changed (bytes or EOF).
bool process::drain(stream& s) {
  char buffer[read_chunk];
  bool changed = false;
  for (;;) {
    const ssize_t n = ::read(s.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return changed;
    std::lock_guard<std::mutex> lock(mutex_);
    if (n <= 0) {
      s.is_closed = true;  // EOF, or an error that ends the stream just the same
      return true;
    }
    s.text.append(buffer, static_cast<std::size_t>(n));
    changed = true;
  }
}

template <class Condition>
bool process::wait_for(Condition condition, deadline d) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_until(lock, d.at(), condition);
}

bool process::write_stdin(std::string_view bytes, deadline d) {
  if (stdin_fd_ < 0) throw std::logic_error("process: stdin is not a pipe or already closed");
  while (!bytes.empty()) {
    const ssize_t n = ::write(stdin_fd_, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;  // EPIPE: it stopped
    if (d.is_expired()) return false;
    pollfd p{stdin_fd_, POLLOUT, 0};
    ::poll(&p, 1, d.poll_timeout_ms());
  }
  return true;
}

void process::close_stdin() { close_fd(stdin_fd_); }

bool process::read_stderr_until(std::string_view text, deadline d) {
  bool found = false;
  wait_for(
      [&] {
        found = err_.text.find(text) != std::string::npos;
        return found || err_.is_closed;
      },
      d);
  return found;
}

bool process::read_stdout_until(std::string_view text, deadline d) {
  bool found = false;
  wait_for(
      [&] {
        found = out_.text.find(text) != std::string::npos;
        return found || out_.is_closed;
      },
      d);
  return found;
}

std::optional<std::vector<std::string>> process::read_stderr_until(const std::regex& pattern,
                                                                   deadline d) {
  std::optional<std::vector<std::string>> groups;
  wait_for(
      [&] {
        std::smatch match;
        if (std::regex_search(err_.text, match, pattern)) {
          groups.emplace(match.begin(), match.end());
        }
        return groups.has_value() || err_.is_closed;
      },
      d);
  return groups;
}

bool process::wait_for_stderr(const std::function<bool(const std::string&)>& condition,
                              deadline d) {
  bool holds = false;
  wait_for(
      [&] {
        holds = condition(err_.text);
        return holds || err_.is_closed;
      },
      d);
  return holds;
}

bool process::read_stdout_until_eof(deadline d) {
  return wait_for([&] { return out_.is_closed; }, d);
}

bool process::read_stderr_until_eof(deadline d) {
  return wait_for([&] { return err_.is_closed; }, d);
}

std::string process::stdout_text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return out_.text;
}

std::string process::stderr_text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return err_.text;
}

run_result run_to_exit(const std::vector<std::string>& argv, std::string_view input, deadline d) {
  process p(argv, stdio_pipes{true, true, true});
  if (!input.empty()) p.write_stdin(input, d);
  p.close_stdin();
  run_result result;
  result.exit_code = p.wait_exit(d);
  // The pipes may still hold the last bytes the program wrote before exiting.
  p.read_stdout_until_eof(d);
  p.read_stderr_until_eof(d);
  result.out = p.stdout_text();
  result.err = p.stderr_text();
  return result;
}

}  // namespace echo::test

namespace echo::test {

std::uint64_t cpu_ticks(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; the fields after its closing ')' do not.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  // After ')': state is field 3, so utime (14) and stime (15) are the 12th and 13th here.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return utime + stime;
}

std::uint64_t resident_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // in kB
  }
  return 0;
}

}  // namespace echo::test
