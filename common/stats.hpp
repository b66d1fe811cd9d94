#pragma once
// Plain counters of one reactor: connections now and in total, bytes in and out. Owned by the
// server, updated by its sessions; no atomics, because a reactor is one thread.

#include <cstddef>
#include <cstdint>
#include <string>

namespace echo {

struct stats {
  std::uint64_t connections_total = 0;
  std::size_t connections_active = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t refused = 0;  // over --max-connections, --max-connections-per-ip, or no descriptor
  std::uint64_t timed_out = 0;  // closed by --idle-timeout or --write-timeout

  // Adds another reactor's counters (--workers sums them at the end).
  stats& operator+=(const stats& other);

  // "served 12 connections, 3456 bytes in, 3456 bytes out", then ", 2 refused, 1 timed out" when
  // those are not zero.
  std::string summary() const;
};

}  // namespace echo
