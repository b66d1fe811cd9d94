#pragma once
// The bytes a bench flow sends and expects back. Message `seq` of a flow: its sequence number
// (little-endian, as many of its 8 bytes as fit), then the flow's own body bytes, so a dropped,
// repeated or reordered message changes the bytes. Made by each flow; holds no state but the body.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace echo {

class message_pattern {
 public:
  message_pattern(std::size_t size, std::uint32_t flow_id) : body_(size) {
    for (std::size_t k = 0; k < size; ++k) {
      body_[k] = static_cast<char>((flow_id * 7 + k * 13) & 0xFF);
    }
  }

  std::size_t size() const { return body_.size(); }

  void append(std::vector<char>& out, std::uint64_t seq) const {
    const std::size_t at = out.size();
    out.insert(out.end(), body_.begin(), body_.end());
    for (std::size_t k = 0; k < header && k < body_.size(); ++k) {
      out[at + k] = static_cast<char>((seq >> (8 * k)) & 0xFF);
    }
  }

  // Whether `data` is what message `seq` holds from `offset` on.
  bool matches(std::uint64_t seq, std::size_t offset, const char* data, std::size_t n) const {
    std::size_t k = 0;
    for (; k < n && offset + k < header; ++k) {
      if (data[k] != static_cast<char>((seq >> (8 * (offset + k))) & 0xFF)) return false;
    }
    return std::memcmp(data + k, body_.data() + offset + k, n - k) == 0;
  }

 private:
  static constexpr std::size_t header = 8;
  std::vector<char> body_;
};

}  // namespace echo
