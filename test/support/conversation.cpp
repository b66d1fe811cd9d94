#include "support/conversation.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace echo::test {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;

}  // namespace

void conversation::send(std::string bytes) {
  if (bytes.empty() || send_error_ != 0) return;
  pending_ += bytes.size();
  queue_.push_back(std::move(bytes));
}

short conversation::wanted_events() const {
  if (is_finished()) return 0;
  const bool wants_write = pending_ > 0 || (wants_half_close_ && !is_half_closed_);
  return static_cast<short>(POLLIN | (wants_write && send_error_ == 0 ? POLLOUT : 0));
}

void conversation::on_ready(short revents) {
  if (revents & (POLLOUT | POLLERR | POLLHUP)) do_send();
  if (revents & (POLLIN | POLLERR | POLLHUP)) do_read();
}

void conversation::do_send() {
  while (pending_ > 0 && send_error_ == 0) {
    const std::string& front = queue_.front();
    const ssize_t n = ::send(client_.fd(), front.data() + front_offset_,
                             front.size() - front_offset_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      send_error_ = errno;
      queue_.clear();
      pending_ = 0;
      return;
    }
    const auto written = static_cast<std::size_t>(n);
    sent_ += written;
    pending_ -= written;
    front_offset_ += written;
    if (front_offset_ == front.size()) {
      queue_.pop_front();
      front_offset_ = 0;
    }
  }
  if (pending_ == 0 && wants_half_close_ && !is_half_closed_ && send_error_ == 0) {
    client_.shutdown_send();
    is_half_closed_ = true;
  }
}

void conversation::do_read() {
  char buffer[read_chunk];
  while (!is_finished()) {
    const ssize_t n = ::recv(client_.fd(), buffer, sizeof buffer, 0);
    if (n > 0) {
      received_.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      is_eof_ = true;
    } else if (errno != EINTR) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) read_error_ = errno;
      return;
    }
  }
}

bool drive(const std::vector<conversation*>& conversations, deadline d,
           const std::function<bool()>& is_done) {
  std::vector<pollfd> fds;
  std::vector<conversation*> polled;
  while (!is_done()) {
    fds.clear();
    polled.clear();
    for (conversation* c : conversations) {
      if (const short events = c->wanted_events()) {
        fds.push_back({c->client().fd(), events, 0});
        polled.push_back(c);
      }
    }
    if (fds.empty() || d.is_expired()) return is_done();
    const int ready = ::poll(fds.data(), fds.size(), d.poll_timeout_ms());
    if (ready < 0 && errno != EINTR) return is_done();
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents != 0) polled[i]->on_ready(fds[i].revents);
    }
  }
  return true;
}

bool drive_to_end(conversation& c, deadline d) {
  return drive({&c}, d, [&c] { return c.is_finished(); });
}

}  // namespace echo::test
