#pragma once
// The server's log kept in memory, so that a test can read what it said about one connection. A
// metric label is shared by several endings (peer_stopped_reading and reset are both "reset"), but
// the "closed" line's reason is the ending's own word (ending_word, or the error's wording for
// ending::error): reading it pins the exact ending. Give make_logger() to the harness; the capture
// must outlive it. One reactor, one thread: no locking.

#include "common/endpoint.hpp"
#include "common/log.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace echo::test {

class log_capture {
 public:
  // A memfd: a file that is never full (a pipe would block the reactor's next log line).
  log_capture() : fd_(::memfd_create("echo-inprocess-log", MFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
  }
  ~log_capture() { ::close(fd_); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  // JSON lines at info level: the "closed" line of every connection, and any warning.
  logger make_logger() const { return logger(log_level::info, fd_, log_format::json); }

  // Everything logged so far.
  std::string text() const {
    struct stat status {};
    if (::fstat(fd_, &status) != 0) return {};
    std::string out(static_cast<std::size_t>(status.st_size), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n =
          ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(done));
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    out.resize(done);
    return out;
  }

  // The text field `name` of the first `event` line about `peer` (the client's own address, as
  // the server sees it); "" when there is none yet. Returned as a string, not an optional, so that
  // a failed check shows it. JSON escapes are not decoded.
  std::string field(std::string_view event, const boost::asio::ip::tcp::endpoint& peer,
                    std::string_view name) const {
    const std::string all = text();
    const std::string head =
        "\"event\":\"" + std::string(event) + "\",\"peer\":\"" + format_endpoint(peer) + "\"";
    const std::size_t at = all.find(head);
    if (at == std::string::npos) return {};
    const std::string_view line =
        std::string_view(all).substr(at, all.find('\n', at) - at);  // npos: to the end
    const std::string key = "\"" + std::string(name) + "\":\"";
    const std::size_t start = line.find(key);
    if (start == std::string_view::npos) return {};
    const std::size_t from = start + key.size();
    const std::size_t end = line.find('"', from);
    if (end == std::string_view::npos) return {};
    return std::string(line.substr(from, end - from));
  }

  // Why the server closed the connection from `peer`: the reason of its "closed" line.
  std::string closed_reason(const boost::asio::ip::tcp::endpoint& peer) const {
    return field("closed", peer, "reason");
  }

 private:
  int fd_;
};

}  // namespace echo::test
