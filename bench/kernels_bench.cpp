// Matmul throughput of each kernel table and weight dtype at TinyLlama-1.1B's
// shapes (dim 2048, hidden 5632), single-threaded.
//  - decode (n = 1) is bound by memory bandwidth: reported as bytes/s of weights
//    streamed. A forward pass reads every layer's weights once, from DRAM, so
//    each iteration takes the next of several copies of the matrix, 256 MiB in
//    all, rather than re-reading one that the L3 cache would keep.
//  - prefill (n = 128 tokens) is bound by arithmetic: reported as FLOP/s
//    (2 * rows * cols * n per call). The scalar table is left out of prefill:
//    one call takes seconds.
// Rates are per CPU second (Google Benchmark's default), so time the thread
// spends descheduled on a busy machine does not count against the kernel.
// Run e.g.: llamafast_bench --benchmark_filter=matmul --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/half.h"
#include "kernels/kernels.h"

namespace llamafast::kernels {
namespace {

constexpr size_t kPoolBytes = size_t(256) << 20;

// kPoolBytes of weights starting on a cache line, as a model loader that
// aligns its tensors provides them, filled with valid random values of one
// dtype at a time (benchmarks are registered dtype by dtype, so it is refilled
// only when the dtype changes).
const std::byte* weight_pool(DType dtype) {
  static std::vector<std::byte> storage;
  static std::byte* pool = nullptr;
  static DType filled = DType::f32;
  if (pool == nullptr || filled != dtype) {
    storage.resize(kPoolBytes + 64);
    pool = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
    uint32_t state = 12345;
    for (size_t off = 0; off + 4 <= kPoolBytes; off += 4) {
      state = state * 1664525u + 1013904223u;  // LCG: cheap, values need not be good
      const float v = float(int32_t(state) >> 8) * (1.0f / float(1 << 23));  // in [-1, 1)
      if (dtype == DType::f32) {
        std::memcpy(pool + off, &v, 4);
      } else {
        const uint16_t h = dtype == DType::f16 ? f32_to_f16(v) : f32_to_bf16(v);
        const uint16_t pair[2] = {h, uint16_t(h ^ 0x8000u)};  // and its negation
        std::memcpy(pool + off, pair, 4);
      }
    }
    filled = dtype;
  }
  return pool;
}

void bm_matmul(benchmark::State& state, const KernelTable* table, DType dtype, int rows,
               int cols, int n, bool rotate, bool bf16_activations) {
  const size_t weight_bytes = size_t(rows) * cols * dtype_size(dtype);
  const std::byte* pool = weight_pool(dtype);
  const size_t copies = rotate ? kPoolBytes / weight_bytes : 1;
  std::vector<float> x(size_t(n) * cols, 0.5f), y(size_t(n) * rows);

  size_t i = 0;
  for (auto _ : state) {
    WeightMatrix W{dtype, pool + (i++ % copies) * weight_bytes, rows, cols};
    W.bf16_activations = bf16_activations;
    table->matmul(W, x.data(), n, y.data(), rows, 0, rows, nullptr);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const auto iters = int64_t(state.iterations());
  state.SetBytesProcessed(iters * int64_t(weight_bytes));
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * rows * cols * n * double(iters),
                                                benchmark::Counter::kIsRate);
  if (n > 1) {
    state.counters["tok/s"] = benchmark::Counter(double(n) * double(iters),
                                                 benchmark::Counter::kIsRate);
  }
}

struct Shape {
  const char* name;
  int rows, cols, n;
};

constexpr Shape kShapes[] = {
    {"decode/2048x2048", 2048, 2048, 1},    // attention q, o projections
    {"decode/5632x2048", 5632, 2048, 1},    // FFN gate, up
    {"decode/2048x5632", 2048, 5632, 1},    // FFN down
    {"prefill128/2048x2048", 2048, 2048, 128},
};

const bool registered = [] {
  for (DType dtype : {DType::f32, DType::f16, DType::bf16}) {
    for (const char* isa : {"scalar", "avx2", "avx512", "neon"}) {
      const KernelTable* table = find(isa);
      if (table == nullptr) continue;
      for (const Shape& s : kShapes) {
        const bool decode = s.n == 1;
        if (!decode && table == &scalar_table()) continue;
        const std::string name = std::string("matmul/") + isa + "/" +
                                 std::string(dtype_name(dtype)) + "/" + s.name;
        benchmark::RegisterBenchmark(name.c_str(), bm_matmul, table, dtype, s.rows, s.cols, s.n,
                                     decode, false)
            ->Unit(decode ? benchmark::kMicrosecond : benchmark::kMillisecond);
      }
    }
  }
  // bf16 weights with bf16 activations (0.5 is a bf16 value): the AVX512-BF16
  // prefill kernel where the CPU has it, the avx512 table's otherwise.
  if (const KernelTable* table = find("avx512vnni")) {
    for (const Shape& s : kShapes) {
      const std::string name = std::string("matmul/avx512vnni/bf16-bf16act/") + s.name;
      benchmark::RegisterBenchmark(name.c_str(), bm_matmul, table, DType::bf16, s.rows, s.cols,
                                   s.n, s.n == 1, true)
          ->Unit(s.n == 1 ? benchmark::kMicrosecond : benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace llamafast::kernels
