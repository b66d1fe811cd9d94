#include "server/udp_impairment.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace echo {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t smallest_buffer = 64;
constexpr std::size_t source_ways = 4;
// Held buffers are at most twice their payload (power-of-two sizes), and at least
// smallest_buffer: with the free ones, this is all the payload memory the stage ever has.
constexpr std::size_t buffer_budget =
    2 * udp_impairment::max_held_bytes + udp_impairment::max_held * smallest_buffer;

std::size_t size_class_of(std::size_t size) {
  std::size_t c = 0;
  while ((smallest_buffer << c) < size) ++c;
  return c;
}

std::size_t reply_size(const msghdr& reply) {
  std::size_t size = 0;
  for (std::size_t p = 0; p < reply.msg_iovlen; ++p) size += reply.msg_iov[p].iov_len;
  return size;
}

// FNV-1a: cheap, and a source cannot choose its address to crowd out one slot set (it can only
// push out its own set's other sources, which then restart their pacing).
std::size_t hash_of(const unsigned char* bytes, std::size_t size, std::uint16_t port) {
  std::uint64_t h = 14695981039346656037ULL;
  const auto mix = [&h](unsigned char b) {
    h ^= b;
    h *= 1099511628211ULL;
  };
  for (std::size_t i = 0; i < size; ++i) mix(bytes[i]);
  mix(static_cast<unsigned char>(port >> 8));
  mix(static_cast<unsigned char>(port & 0xff));
  return static_cast<std::size_t>(h);
}

}  // namespace

udp_impairment::udp_impairment(asio::io_context& context, impairment::reactor_state& state,
                               stats& counters, sender send)
    : state_(state), counters_(counters), send_(std::move(send)), timer_(context) {}

udp_impairment::~udp_impairment() {
  close();
  release_idle_buffers();
}

std::size_t udp_impairment::filter(mmsghdr* out, std::size_t count, clock::time_point now) {
  const impairment::settings& s = state_.current();
  const bool has_delay = s.delay.count() != 0 || s.jitter.count() != 0;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (state_.chance(s.loss_percent)) {
      counters_.count(impairment::event::dropped);
      continue;
    }
    const std::size_t size = reply_size(out[i].msg_hdr);
    const clock::time_point delayed = has_delay ? now + state_.delay() : now;
    const clock::time_point due =
        s.throttle != 0
            ? pace(*static_cast<const sockaddr_storage*>(out[i].msg_hdr.msg_name), size, delayed)
            : delayed;
    if (due <= now) {
      if (kept != i) out[kept] = out[i];
      ++kept;
      continue;
    }
    if (!hold(out[i], due)) {
      counters_.count_udp_drop(udp_drop::impairment_queue_full);
      counters_.count(impairment::event::dropped);
      continue;
    }
    if (delayed > now) counters_.count(impairment::event::delayed);
    if (due > delayed) counters_.count(impairment::event::throttled);
  }
  return kept;
}

void udp_impairment::close() {
  is_closed_ = true;
  timer_.cancel();
  armed_for_ = clock::time_point::max();
  for (const held_reply& h : queue_) give_back(h.data, h.size_class);
  queue_.clear();
  held_bytes_ = 0;
}

// A set of source_ways slots per hash: the source's own slot, else the one whose pacing ended
// first (a source long quiet loses nothing: its next free time has passed anyway).
udp_impairment::clock::time_point udp_impairment::pace(const sockaddr_storage& from,
                                                       std::size_t size, clock::time_point due) {
  if (sources_.empty()) sources_.resize(source_slots);
  source key;
  key.family = from.ss_family;
  if (from.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(from);
    std::memcpy(key.address.data(), &v4.sin_addr, sizeof(v4.sin_addr));
    key.port = v4.sin_port;
  } else {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(from);
    std::memcpy(key.address.data(), &v6.sin6_addr, sizeof(v6.sin6_addr));
    key.port = v6.sin6_port;
  }
  const std::size_t set =
      hash_of(key.address.data(), key.address.size(), key.port) % (source_slots / source_ways);
  source* const first = sources_.data() + set * source_ways;
  source* slot = nullptr;
  for (source* s = first; s != first + source_ways && slot == nullptr; ++s) {
    if (s->family == key.family && s->port == key.port && s->address == key.address) slot = s;
  }
  if (slot == nullptr) {
    slot = std::min_element(first, first + source_ways, [](const source& a, const source& b) {
      return a.next_free < b.next_free;
    });
    *slot = key;
  }
  due = std::max(due, slot->next_free);
  const std::uint64_t rate = state_.current().throttle;
  slot->next_free = due + std::chrono::duration_cast<clock::duration>(
                              std::chrono::nanoseconds(size * std::uint64_t{1'000'000'000} / rate));
  return due;
}

bool udp_impairment::hold(const mmsghdr& reply, clock::time_point due) {
  const msghdr& m = reply.msg_hdr;
  const std::size_t size = reply_size(m);
  const std::size_t size_class = size_class_of(size);
  if (queue_.size() >= max_held || held_bytes_ + size > max_held_bytes ||
      size_class >= size_classes) {
    return false;
  }
  char* const data = take_buffer(size_class);
  if (data == nullptr) return false;
  std::size_t at = 0;
  for (std::size_t p = 0; p < m.msg_iovlen; ++p) {
    if (m.msg_iov[p].iov_len == 0) continue;  // an empty piece may have no address
    std::memcpy(data + at, m.msg_iov[p].iov_base, m.msg_iov[p].iov_len);
    at += m.msg_iov[p].iov_len;
  }
  if (queue_.capacity() == 0) queue_.reserve(max_held);
  held_reply& h = queue_.emplace_back();
  h.due = due;
  h.order = next_order_++;
  h.data = data;
  h.size = size;
  h.size_class = size_class;
  h.to_size = std::min<socklen_t>(m.msg_namelen, sizeof(h.to));
  std::memcpy(&h.to, m.msg_name, h.to_size);
  std::push_heap(queue_.begin(), queue_.end(), later{});
  held_bytes_ += size;
  if (due < armed_for_) {
    armed_for_ = due;
    timer_.expires_at(due);  // cancels the wait for a later one, if any
    do_wait();
  }
  return true;
}

char* udp_impairment::take_buffer(std::size_t size_class) {
  if (char* const head = free_[size_class]) {
    std::memcpy(&free_[size_class], head, sizeof(char*));
    return head;
  }
  const std::size_t size = smallest_buffer << size_class;
  if (buffer_bytes_ + size > buffer_budget) release_idle_buffers();
  if (buffer_bytes_ + size > buffer_budget) return nullptr;
  buffer_bytes_ += size;
  return new char[size];
}

void udp_impairment::give_back(char* data, std::size_t size_class) {
  std::memcpy(data, &free_[size_class], sizeof(char*));
  free_[size_class] = data;
}

void udp_impairment::release_idle_buffers() {
  for (std::size_t c = 0; c < size_classes; ++c) {
    while (char* const head = free_[c]) {
      std::memcpy(&free_[c], head, sizeof(char*));
      delete[] head;
      buffer_bytes_ -= smallest_buffer << c;
    }
  }
}

void udp_impairment::do_wait() {
  timer_.async_wait([this](const error_code& ec) {
    if (ec == asio::error::operation_aborted || is_closed_) return;
    on_timer();
  });
}

// hold() re-arms the timer only for a due time still to come, so the wait it replaces has not
// completed: its handler sees operation_aborted. The one that completes sends what is due.
void udp_impairment::on_timer() {
  send_due(clock::now());
  armed_for_ = clock::time_point::max();
  if (queue_.empty()) return;
  armed_for_ = queue_.front().due;
  timer_.expires_at(armed_for_);
  do_wait();
}

void udp_impairment::send_due(clock::time_point now) {
  while (!queue_.empty() && queue_.front().due <= now) {
    std::size_t n = 0;
    for (; n < send_batch && !queue_.empty() && queue_.front().due <= now; ++n) {
      std::pop_heap(queue_.begin(), queue_.end(), later{});
      held_reply& h = sending_[n];
      h = queue_.back();
      queue_.pop_back();
      held_bytes_ -= h.size;
      sending_iov_[n] = {h.data, h.size};
      msghdr& m = sending_msg_[n].msg_hdr;
      m = msghdr{};
      m.msg_name = &h.to;
      m.msg_namelen = h.to_size;
      m.msg_iov = &sending_iov_[n];
      m.msg_iovlen = 1;
    }
    send_(sending_msg_.data(), n);
    for (std::size_t i = 0; i < n; ++i) give_back(sending_[i].data, sending_[i].size_class);
  }
}

}  // namespace echo
