// A persistent pool of worker threads, started once per session. The calling
// thread works too. A job is handed to the spinning workers by bumping a
// counter, so decode pays no queueing or wake-up cost per op. Each output is
// computed whole by one thread, so results do not depend on the split (matmul
// rows: WorkSplit; the rest: by thread index).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

namespace llamafast {

class ThreadPool {
 public:
  // n_threads includes the caller; 0 means one per physical core.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }

  // Calls fn(thread_index, n_threads) on every thread and waits for all of them.
  void run(const std::function<void(int, int)>& fn);

  // Splits [0, n) into size() contiguous ranges, multiples of `grain` (except
  // the last), and calls fn(begin, end) for each non-empty one in parallel.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

  // Thread t's range [first, second) of parallel_for's split of [0, n) over
  // n_threads: for work that splits several ranges within one run().
  static std::pair<int64_t, int64_t> share(int64_t n, int64_t grain, int t, int n_threads);

  // Physical cores of this machine (falls back to logical CPUs).
  static int physical_cores();

 private:
  void worker_loop(int index);

  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};  // bumped to start a job
  std::atomic<int> pending_{0};          // workers still running the current job
  std::atomic<bool> stop_{false};
};

}  // namespace llamafast
