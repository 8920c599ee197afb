#include <atomic>

#include "runtime/thread_pool.h"
#include "test_support.h"

namespace llamafast {
namespace {

TEST(ThreadPool, RunCallsEveryThreadOnceWithItsIndex) {
  ThreadPool pool(3);
  ASSERT_EQ(pool.size(), 3);
  for (int round = 0; round < 100; ++round) {
    std::vector<std::atomic<int>> calls(3);
    pool.run([&](int t, int n) {
      EXPECT_EQ(n, 3);
      calls[size_t(t)]++;
    });
    for (auto& c : calls) EXPECT_EQ(c.load(), 1);
  }
}

TEST(ThreadPool, ParallelForCoversEveryIndexExactlyOnceInGrainAlignedRanges) {
  ThreadPool pool(2);
  for (int64_t n : {1, 5, 16, 17, 100, 1001})
    for (int64_t grain : {1, 4, 16}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, grain, [&](int64_t b, int64_t e) {
        EXPECT_EQ(b % grain, 0) << "ranges start on a grain boundary";
        for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << "n " << n << " grain " << grain;
    }
}

TEST(ThreadPool, SingleThreadPoolRunsInline) {
  ThreadPool pool(1);
  int calls = 0;
  pool.run([&](int t, int n) {
    EXPECT_EQ(t, 0);
    EXPECT_EQ(n, 1);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace llamafast
