#include "client/udp_path_stats.hpp"

#include <cmath>

namespace echo {

namespace {

std::size_t power_of_two_at_least(std::size_t n) {
  std::size_t p = 2;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

udp_path_stats::udp_path_stats(std::size_t window)
    : slots_(power_of_two_at_least(window)), mask_(slots_.size() - 1) {}

bool udp_path_stats::can_send() const { return slot_of(next_seq_).status != state::pending; }

std::uint64_t udp_path_stats::on_sent(clock::time_point sent, bool is_counted) {
  slot& s = slot_of(next_seq_);
  s = slot{next_seq_, sent, state::pending, is_counted};
  ++in_flight_;
  if (is_counted) ++sent_;
  return next_seq_++;
}

// Slot seq % window still holds datagram seq until seq + window is sent.
bool udp_path_stats::is_tracked(std::uint64_t seq) const {
  return seq < next_seq_ && next_seq_ - seq <= slots_.size();
}

std::optional<udp_path_stats::clock::time_point> udp_path_stats::sent_at(std::uint64_t seq) const {
  if (!is_tracked(seq)) return std::nullopt;
  return slot_of(seq).sent;
}

udp_path_stats::reply udp_path_stats::on_reply(std::uint64_t seq, clock::time_point arrived) {
  if (seq >= next_seq_) return {reply_kind::unknown, {}, false};
  if (!is_tracked(seq)) {
    ++late_;
    return {reply_kind::late, {}, false};
  }
  slot& s = slot_of(seq);
  if (s.status == state::lost) {
    ++late_;
    return {reply_kind::late, s.sent, s.is_counted};
  }
  if (s.status == state::answered) {
    if (s.is_counted) ++duplicated_;
    return {reply_kind::duplicate, s.sent, s.is_counted};
  }
  s.status = state::answered;
  --in_flight_;
  const bool is_reordered = highest_answered_ && seq < *highest_answered_;
  if (!highest_answered_ || seq > *highest_answered_) highest_answered_ = seq;
  if (s.is_counted) {
    ++received_;
    if (is_reordered) ++reordered_;
    add_jitter_sample(arrived - s.sent);
  }
  return {reply_kind::fresh, s.sent, s.is_counted};
}

void udp_path_stats::add_jitter_sample(clock::duration transit) {
  if (last_transit_) {
    const auto d = std::chrono::duration<double, std::nano>(transit - *last_transit_).count();
    jitter_ns_ += (std::fabs(d) - jitter_ns_) / 16.0;
    ++jitter_samples_;
  }
  last_transit_ = transit;
}

std::size_t udp_path_stats::expire(clock::time_point now, clock::duration deadline) {
  std::size_t expired = 0;
  // Everything older than the window is resolved: a pending slot is never reused.
  if (next_seq_ - oldest_ > slots_.size()) oldest_ = next_seq_ - slots_.size();
  // Datagrams go out in number order, so the first pending one not yet due ends the scan.
  for (; oldest_ < next_seq_; ++oldest_) {
    slot& s = slot_of(oldest_);
    if (s.status != state::pending) continue;
    if (now - s.sent < deadline) break;
    s.status = state::lost;
    --in_flight_;
    ++expired;
    if (s.is_counted) ++lost_;
  }
  return expired;
}

}  // namespace echo
