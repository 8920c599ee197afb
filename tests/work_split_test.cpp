#include <atomic>
#include <thread>
#include <vector>

#include "runtime/work_split.h"
#include "test_support.h"

namespace llamafast {
namespace {

// Every index of [0, n) once, in grain-aligned ranges, whichever threads ask.
void expect_exact_cover(WorkSplit& split, int n_threads, int64_t n, int64_t grain) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  split.reset(n, grain);
  std::vector<std::thread> threads;
  for (int t = 0; t < n_threads; ++t) {
    threads.emplace_back([&, t] {
      int64_t b = 0, e = 0;
      while (split.next(t, b, e)) {
        EXPECT_EQ(b % grain, 0);
        EXPECT_TRUE(e == n || e % grain == 0) << "only the last range ends off a grain";
        EXPECT_LT(b, e);
        for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << "n " << n << " grain " << grain;
}

TEST(WorkSplit, ConcurrentThreadsCoverEveryIndexExactlyOnce) {
  for (int n_threads : {1, 2, 3, 5}) {
    WorkSplit split(n_threads);
    for (int64_t n : {0, 1, 31, 32, 33, 1000, 2560, 32000})
      for (int64_t grain : {1, 32}) {
        for (int round = 0; round < 20; ++round) expect_exact_cover(split, n_threads, n, grain);
      }
  }
}

TEST(WorkSplit, AloneAThreadTakesEverythingInOneRange) {
  WorkSplit split(1);
  split.reset(1000, 32);
  int64_t b = -1, e = -1;
  ASSERT_TRUE(split.next(0, b, e));
  EXPECT_EQ(b, 0);
  EXPECT_EQ(e, 1000);
  EXPECT_FALSE(split.next(0, b, e));
}

TEST(WorkSplit, AThreadClaimsItsOwnShareFrontToBackThenStealsFromTheBack) {
  // Two threads, 64 grains: thread 0 owns [0, 32), thread 1 [32, 64).
  WorkSplit split(2);
  split.reset(64, 1);
  int64_t b = 0, e = 0;
  ASSERT_TRUE(split.next(0, b, e));
  EXPECT_EQ(b, 0);
  EXPECT_EQ(e, 16);  // half of its share
  ASSERT_TRUE(split.next(0, b, e));
  EXPECT_EQ(b, 16);
  EXPECT_EQ(e, 24);
  // Thread 1 has not started; once thread 0's share is gone it takes the back
  // half of thread 1's.
  while (split.next(0, b, e) && e <= 32) {
  }
  EXPECT_EQ(b, 48);
  EXPECT_EQ(e, 64);
  ASSERT_TRUE(split.next(1, b, e));
  EXPECT_EQ(b, 32);
  EXPECT_EQ(e, 40);
}

}  // namespace
}  // namespace llamafast
