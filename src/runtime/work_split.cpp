#include "runtime/work_split.h"

#include <algorithm>

#include "runtime/thread_pool.h"

namespace llamafast {

namespace {

uint64_t pack(uint32_t front, uint32_t back) { return uint64_t(back) << 32 | front; }
uint32_t front_of(uint64_t range) { return uint32_t(range); }
uint32_t back_of(uint64_t range) { return uint32_t(range >> 32); }

}  // namespace

WorkSplit::WorkSplit(int n_threads)
    : n_threads_(std::max(1, n_threads)), shares_(std::make_unique<Share[]>(size_t(n_threads_))) {}

void WorkSplit::reset(int64_t n, int64_t grain) {
  n_ = std::max<int64_t>(0, n);
  grain_ = std::max<int64_t>(1, grain);
  const int64_t grains = (n_ + grain_ - 1) / grain_;
  for (int t = 0; t < n_threads_; ++t) {
    const auto [first, end] = ThreadPool::share(grains, 1, t, n_threads_);
    shares_[size_t(t)].range.store(pack(uint32_t(first), uint32_t(end)), std::memory_order_relaxed);
  }
}

bool WorkSplit::claim_front(int thread, uint32_t& first, uint32_t& count) {
  std::atomic<uint64_t>& range = shares_[size_t(thread)].range;
  uint64_t r = range.load(std::memory_order_acquire);
  for (;;) {
    const uint32_t f = front_of(r), b = back_of(r);
    if (f >= b) return false;
    // Alone, a thread takes everything in one call; otherwise half of what is left.
    const uint32_t take = n_threads_ == 1 ? b - f : (b - f + 1) / 2;
    if (range.compare_exchange_weak(r, pack(f + take, b), std::memory_order_acq_rel)) {
      first = f;
      count = take;
      return true;
    }
  }
}

bool WorkSplit::steal(uint32_t& first, uint32_t& count) {
  for (;;) {
    int victim = -1;
    uint64_t seen = 0;
    uint32_t most = 0;
    for (int t = 0; t < n_threads_; ++t) {
      const uint64_t r = shares_[size_t(t)].range.load(std::memory_order_acquire);
      const uint32_t left = back_of(r) > front_of(r) ? back_of(r) - front_of(r) : 0;
      if (left > most) {
        most = left;
        victim = t;
        seen = r;
      }
    }
    if (victim < 0) return false;
    const uint32_t take = (most + 1) / 2, b = back_of(seen);
    if (shares_[size_t(victim)].range.compare_exchange_strong(seen, pack(front_of(seen), b - take),
                                                              std::memory_order_acq_rel)) {
      first = b - take;
      count = take;
      return true;
    }
  }
}

bool WorkSplit::next(int thread, int64_t& begin, int64_t& end) {
  uint32_t first = 0, count = 0;
  if (!claim_front(thread, first, count) && !steal(first, count)) return false;
  begin = int64_t(first) * grain_;
  end = std::min(n_, int64_t(first + count) * grain_);
  return true;
}

}  // namespace llamafast
