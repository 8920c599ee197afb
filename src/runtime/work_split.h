// Splits the rows of a parallel matmul among the pool's threads so that a
// thread slowed down (by its share of the memory bus, or by the hypervisor
// taking its CPU) does not leave the others waiting at the barrier: with a
// fixed split, the calling thread spent 9-14% of decode waiting that way on a
// 2-core VM (docs/benchmarks.md).
//
// Each thread starts on its own contiguous share and claims it in halves (the
// first claim is half the share, the next a quarter, ...), so it reads memory
// front to back in a few long runs. A thread whose share is used up takes the
// back half of what is left of the largest remaining share, until nothing is.
// A claim is a compare-and-swap on the owner's own cache line: uncontended
// until the end.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace llamafast {

class WorkSplit {
 public:
  explicit WorkSplit(int n_threads);

  // Sets up [0, n) in ranges of whole grains (the last may be shorter), with
  // ThreadPool::share's split as the threads' own shares. Call before the
  // parallel run that claims from it.
  void reset(int64_t n, int64_t grain);

  // The next range for `thread`: [begin, end), or false when every row is
  // claimed. Each index is handed out exactly once.
  bool next(int thread, int64_t& begin, int64_t& end);

 private:
  // One thread's unclaimed grains [front, back), packed in 64 bits so one
  // compare-and-swap moves either end.
  struct alignas(64) Share {
    std::atomic<uint64_t> range{0};
  };
  bool claim_front(int thread, uint32_t& first, uint32_t& count);
  bool steal(uint32_t& first, uint32_t& count);

  int n_threads_;
  std::unique_ptr<Share[]> shares_;
  int64_t n_ = 0, grain_ = 1;
};

}  // namespace llamafast
