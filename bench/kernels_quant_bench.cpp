// Quantized matmul throughput of each kernel table at TinyLlama-1.1B's shapes:
// q8 per row (llamafast's int8), q4 groups of 32 and 128 (llamafast's int4),
// GGUF's Q8_0 and Q4_0 blocks; fp32 activations (weight-only) and int8 ones.
//  - decode (n = 1) is bound by memory bandwidth: reported as bytes/s of
//    weights and scales streamed, from several copies of the matrix (256 MiB
//    in all) so that each iteration reads DRAM rather than L3.
//  - decode-in-L2 (n = 1, one 384-row matrix of at most 0.8 MiB, read again by
//    every call) shows the kernel's own ceiling: the rate it could stream at
//    if memory kept up, to set beside the DRAM rate of the same kernel.
//    decode-in-L1 (32 rows) is the same from L1 for the q4 formats (32-36
//    KiB; the q8 ones, 64-68 KiB, partly from L2), where what is left is the
//    kernel's instructions and the preparation of the token's activations,
//    done again by each call as in a model and weighing more here.
//  - prefill (n = 128, the FFN's shapes and attention's 2048x2048) is bound
//    by arithmetic: reported as OP/s (2 * rows * cols * n per call, a multiply
//    and an add per weight and token), its weights also read from the copies,
//    as in a model; peak_bench.cpp measures the instructions' own peak.
// Each thread passes its own PreparedInput, cleared before every call, so
// that each call converts its activations as a run's first claim does.
// Rates are per CPU second for one thread; the /threads:2 variants split the
// rows between two threads, as the runtime does, and report wall-clock rates
// of both together.
// Run e.g.: llamafast_bench --benchmark_filter=qmatmul --benchmark_min_time=0.2
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

struct Format {
  const char* name;
  DType dtype;
  int group;  // 0: one group per row
  bool gguf;  // (f16 scale, integers) blocks; otherwise integers then a scale array
  DType scale_dtype;
};

constexpr Format kFormats[] = {
    {"q8-row", DType::q8, 0, false, DType::f32},    {"q4-g32", DType::q4, 32, false, DType::f16},
    {"q4-g128", DType::q4, 128, false, DType::f16}, {"Q8_0", DType::q8, 32, true, DType::f16},
    {"Q4_0", DType::q4, 32, true, DType::f16},
};

// A matrix of `f` at `base`; returns its bytes (integers and scales).
size_t place(const Format& f, int rows, int cols, std::byte* base, WeightMatrix& W) {
  const int G = f.group ? f.group : cols, groups = (cols + G - 1) / G;
  const size_t gbytes = f.dtype == DType::q8 ? size_t(G) : size_t(G) / 2;
  const size_t ssize = f.scale_dtype == DType::f16 ? 2 : 4;
  QuantLayout& L = W.quant;
  L.group = G;
  L.scale_dtype = f.scale_dtype;
  if (f.gguf) {
    L.group_stride = ssize + gbytes;
    L.row_stride = L.group_stride * groups;
    L.scales = base;
    L.scale_group_stride = L.group_stride;
    L.scale_row_stride = L.row_stride;
    W.data = base + ssize;
  } else {
    L.group_stride = gbytes;
    L.row_stride = gbytes * groups;
    L.scales = base + L.row_stride * rows;
    L.scale_group_stride = ssize;
    L.scale_row_stride = ssize * groups;
    W.data = base;
  }
  W.dtype = f.dtype;
  W.rows = rows;
  W.cols = cols;
  const size_t bytes = size_t(rows) * (L.row_stride + (f.gguf ? 0 : L.scale_row_stride));
  // Valid scales (random bits could be denormals, which some CPUs slow on).
  for (int r = 0; r < rows; ++r) {
    for (int g = 0; g < groups; ++g) {
      auto* p = static_cast<std::byte*>(const_cast<void*>(L.scales)) + r * L.scale_row_stride +
                g * L.scale_group_stride;
      const float s = 0.01f + 0.001f * float((r + g) % 7);
      if (ssize == 2) {
        const uint16_t h = f32_to_f16(s);
        std::memcpy(p, &h, 2);
      } else {
        std::memcpy(p, &s, 4);
      }
    }
  }
  return bytes;
}

// kPoolBytes of random bytes on a cache line boundary (any byte is a valid
// q8 or q4 integer); place() writes the scales.
std::byte* pool() {
  static std::vector<std::byte> storage(kPoolBytes + 64);
  static std::byte* p = [] {
    std::byte* base = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
    uint32_t state = 12345;
    for (size_t i = 0; i < kPoolBytes; ++i) {
      state = state * 1664525u + 1013904223u;
      base[i] = std::byte(state >> 24);
    }
    return base;
  }();
  return p;
}

// The copies of one matrix that fit the pool, placed once per format and
// shape, so that every call reads its weights from memory as in a model (not
// from the cache the previous call filled); both threads of a /threads:2 run
// share them.
struct Copies {
  std::vector<WeightMatrix> matrices;
  size_t bytes = 0;
};

const Copies& copies(const Format& f, int rows, int cols, bool int8, bool in_cache) {
  static std::string key;
  static Copies c;
  const std::string k = std::string(f.name) + "/" + std::to_string(rows) + "x" +
                        std::to_string(cols) + (int8 ? "i" : "") + (in_cache ? "c" : "");
  if (k != key) {
    c.matrices.clear();
    WeightMatrix W{f.dtype, nullptr, rows, cols};
    W.int8_activations = int8;
    size_t off = 0;
    do {
      c.bytes = place(f, rows, cols, pool() + off, W);
      c.matrices.push_back(W);
      off += (c.bytes + 63) / 64 * 64;
    } while (!in_cache && off + c.bytes <= kPoolBytes);
    key = k;
  }
  return c;
}

void bm_qmatmul(benchmark::State& state, const KernelTable* table, Format f, int rows, int cols,
                int n, bool int8, bool in_cache) {
  static std::vector<float> x;  // shared by the threads: read only
  const Copies* c = nullptr;
  if (state.thread_index() == 0) {
    c = &copies(f, rows, cols, int8, in_cache);
    x.resize(size_t(n) * cols);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 17) - 8) * 0.125f;
  }
  // The other threads start their loop only after thread 0's setup.
  std::vector<float> y(size_t(n) * rows);
  PreparedInput prepared;  // as a model's thread holds one
  size_t i = 0;
  for (auto _ : state) {
    if (c == nullptr) c = &copies(f, rows, cols, int8, in_cache);
    const int part = rows / state.threads();
    const int begin = part * state.thread_index();
    const int end = state.thread_index() + 1 == state.threads() ? rows : begin + part;
    prepared.clear();  // each call prepares x, as the first claim of a run does
    table->matmul(c->matrices[i++ % c->matrices.size()], x.data(), n, y.data(), rows, begin, end,
                  &prepared);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  // Every thread counts its share of the matrix: Google Benchmark sums the
  // counts and divides the real time by the number of threads (the mean of the
  // threads' wall clocks), so a /threads:2 rate is of the whole matrix per
  // wall-clock second. (Each counting the whole matrix doubled it.)
  const auto iters = double(state.iterations()) / state.threads();
  state.SetBytesProcessed(int64_t(iters * double(c->bytes)));
  state.counters["OP/s"] =
      benchmark::Counter(2.0 * rows * cols * n * iters, benchmark::Counter::kIsRate);
}

struct Shape {
  const char* name;
  int rows, cols, n;
  bool in_cache;  // one copy, re-read by every call (from L2) rather than streamed from DRAM
};

constexpr Shape kShapes[] = {
    {"decode/5632x2048", 5632, 2048, 1, false},  // FFN gate, up
    {"decode/2048x5632", 2048, 5632, 1, false},  // FFN down
    {"decode-in-L2/384x2048", 384, 2048, 1, true},
    {"decode-in-L1/32x2048", 32, 2048, 1, true},
    {"prefill128/2048x2048", 2048, 2048, 128, false},  // attention q, o
    {"prefill128/5632x2048", 5632, 2048, 128, false},  // FFN gate, up
    {"prefill128/2048x5632", 2048, 5632, 128, false},  // FFN down
};

const bool registered = [] {
  for (const Format& f : kFormats) {
    for (bool int8 : {false, true}) {
      // Not the scalar table: its reference kernel takes most of a second per call.
      for (const char* isa : {"avx2", "avx2vnni", "avx512", "avx512vnni", "neon"}) {
        const KernelTable* table = find(isa);
        if (table == nullptr) continue;
        for (const Shape& s : kShapes) {
          const bool decode = s.n == 1;
          const std::string name = std::string("qmatmul/") + isa + "/" + f.name +
                                   (int8 ? "/int8act/" : "/f32act/") + s.name;
          for (int threads : {1, 2}) {
            auto* b = benchmark::RegisterBenchmark(name.c_str(), bm_qmatmul, table, f, s.rows,
                                                   s.cols, s.n, int8, s.in_cache)
                          ->Unit(decode ? benchmark::kMicrosecond : benchmark::kMillisecond)
                          ->Threads(threads);
            // One thread: per CPU second, as kernels_bench.cpp (time descheduled on
            // a busy machine does not count). Two: wall clock, both together.
            if (threads > 1) b->UseRealTime();
          }
        }
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace llamafast::kernels
