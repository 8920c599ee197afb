#include "memory_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace llamafast::cli {

namespace {

// Sums 64-bit words: the compiler vectorizes this into wide loads, and the sum
// is returned so the reads cannot be optimised away. Each 64-byte line is
// asked for 4 KiB ahead, as the decode kernels ask for their weights: the
// hardware prefetchers alone keep fewer lines in flight, and without the hint
// this loop read about 9% less on Zen 5 (docs/benchmarks.md), at times below
// what fp32 decode itself streamed: a roofline ratio above 100%. kLocality is
// __builtin_prefetch's: 0 (prefetchnta) or 2 (prefetcht1), the two ways the
// kernels prefetch (kernels::WeightPrefetch).
template <int kLocality>
uint64_t sum_words(const uint64_t* p, size_t n) {
  constexpr size_t kAhead = 4096 / sizeof(uint64_t);
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __builtin_prefetch(p + std::min(i + kAhead, n - 1), 0, kLocality);
    a += p[i] + p[i + 4];
    b += p[i + 1] + p[i + 5];
    c += p[i + 2] + p[i + 6];
    d += p[i + 3] + p[i + 7];
  }
  for (; i < n; ++i) a += p[i];
  return a + b + c + d;
}

}  // namespace

double measure_read_bandwidth(int threads) {
  threads = std::max(threads, 1);
  const size_t bytes = size_t(1) << 30;  // 1 GiB: far beyond any cache
  const size_t words = bytes / sizeof(uint64_t);
  // In huge pages, as the weights are (model files are mapped with
  // MADV_HUGEPAGE): with 4 KiB pages this loop reads 10-15% slower here, and
  // decode would seem to beat the roofline.
  constexpr size_t kHuge = size_t(2) << 20;
  std::unique_ptr<uint64_t, decltype(&std::free)> buf(
      static_cast<uint64_t*>(std::aligned_alloc(kHuge, bytes)), &std::free);
  if (!buf) return 0;
  ::madvise(buf.get(), bytes, MADV_HUGEPAGE);
  // Touch every page from the thread that will read it (first-touch NUMA placement).
  const size_t per = words / size_t(threads);
  auto for_each_thread = [&](auto&& fn) {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(fn, t);
    for (auto& th : pool) th.join();
  };
  for_each_thread([&](int t) { std::memset(buf.get() + t * per, t + 1, per * sizeof(uint64_t)); });

  double best = 0;
  std::vector<uint64_t> sinks(static_cast<size_t>(threads));
  // Both prefetch hints, alternating: the machine's limit is what the better
  // one reads (on Intel prefetchnta read about half as much, on Zen 5 it was
  // the better one).
  for (int pass = 0; pass < 8; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    for_each_thread([&](int t) {
      const uint64_t* mine = buf.get() + t * per;
      sinks[size_t(t)] += pass % 2 == 0 ? sum_words<0>(mine, per) : sum_words<2>(mine, per);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, double(per * threads * sizeof(uint64_t)) / s);
  }
  // Keep the sums observable.
  volatile uint64_t sink = 0;
  for (uint64_t v : sinks) sink = sink + v;
  return best;
}

double measure_read_bandwidth_in_child(int threads) {
  int fds[2];
  if (::pipe(fds) != 0) return 0;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return 0;
  }
  if (pid == 0) {
    ::close(fds[0]);
    const double bandwidth = measure_read_bandwidth(threads);
    const bool ok = ::write(fds[1], &bandwidth, sizeof bandwidth) == ssize_t(sizeof bandwidth);
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  double bandwidth = 0;
  if (::read(fds[0], &bandwidth, sizeof bandwidth) != ssize_t(sizeof bandwidth)) bandwidth = 0;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return bandwidth;
}

}  // namespace llamafast::cli
