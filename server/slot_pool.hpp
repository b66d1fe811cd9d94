#pragma once
// A limit on what the whole process holds at once (open connections, TLS handshakes in progress),
// shared by every worker's reactor, so that --max-connections and --max-handshakes bound the
// process and not each worker: with --workers 4 --max-connections 2, two connections are served,
// whichever workers the kernel hands them to.
//
// try_take() gives a slot, a move-only token that gives itself back when destroyed or reset(); an
// empty one when the limit is reached. The pool must outlive every slot: run_workers owns the
// process's, above the servers, or a lone server its own, above its io_context. Safe from any
// thread: one atomic, touched when a connection or handshake starts and when it ends, never per
// message (the data path shares nothing).

#include <atomic>
#include <cstddef>
#include <utility>

namespace echo {

class slot_pool {
 public:
  class slot {
   public:
    slot() = default;
    slot(slot&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)) {}
    slot& operator=(slot&& other) noexcept {
      if (this != &other) {
        reset();
        pool_ = std::exchange(other.pool_, nullptr);
      }
      return *this;
    }
    ~slot() { reset(); }

    explicit operator bool() const { return pool_ != nullptr; }
    void reset() {
      if (pool_ != nullptr) std::exchange(pool_, nullptr)->taken_.fetch_sub(1);
    }

   private:
    friend class slot_pool;
    explicit slot(slot_pool* pool) : pool_(pool) {}
    slot_pool* pool_ = nullptr;
  };

  // 0: no limit (slots are still counted).
  explicit slot_pool(std::size_t limit) : limit_(limit) {}
  slot_pool(const slot_pool&) = delete;
  slot_pool& operator=(const slot_pool&) = delete;

  slot try_take() {
    // A compare-and-swap, so that two workers never both take the last slot.
    std::size_t taken = taken_.load();
    do {
      if (limit_ != 0 && taken >= limit_) return slot();
    } while (!taken_.compare_exchange_weak(taken, taken + 1));
    return slot(this);
  }

  std::size_t limit() const { return limit_; }
  std::size_t taken() const { return taken_.load(); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> taken_{0};
};

// The process's limits, as server_options asks for them.
struct process_limits {
  process_limits(std::size_t max_connections, std::size_t max_handshakes)
      : connections(max_connections), handshakes(max_handshakes) {}

  slot_pool connections;  // --max-connections, resolved (never 0)
  slot_pool handshakes;   // --max-handshakes: TLS handshakes in progress (0: no limit)
};

}  // namespace echo
