#pragma once
// Helpers shared by the libFuzzer targets: the invariant check, and the chunking plan that turns
// a few input bytes into the sizes of the reads a session would see. Header-only, test-only.

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

namespace echo::fuzz {

// A broken invariant is a crash, so libFuzzer saves the input and the run fails.
inline void require(bool ok) {
  if (!ok) __builtin_trap();
}

struct chunk {
  std::string_view bytes;
  bool pause_after;  // the client pauses here, so the server flushes what is held back
};

// Cuts `data` into reads following `steps`, used in a cycle: a step's low six bits are the read
// size minus one, its top bit a pause after the read (only when `pauses`).
inline std::vector<chunk> cut(std::string_view data, std::string_view steps, bool pauses) {
  std::vector<chunk> chunks;
  for (std::size_t i = 0; !data.empty(); ++i) {
    const auto step = static_cast<unsigned char>(steps[i % steps.size()]);
    const std::size_t n = std::min<std::size_t>(data.size(), 1 + (step & 0x3fu));
    chunks.push_back({data.substr(0, n), pauses && (step & 0x80u) != 0});
    data.remove_prefix(n);
  }
  return chunks;
}

}  // namespace echo::fuzz
