// Throughput of the kernel tables' non-matmul entries (attention over a KV
// cache, softmax, SwiGLU, activation quantization, row conversion) and of the
// per-token ops around them (RMSNorm, RoPE, residual add), at TinyLlama-1.1B's
// shapes: dim 2048, hidden 5632, 32 query heads of 64 over 4 KV heads (a
// cached row is 256 floats, of which one head reads 64).
// Every one is bound by memory or by a few vector instructions per element:
// each reports the bytes it reads and writes per second (GB/s, from the
// caches: the data fits L2) and elements per second. The attention entries
// read one head's 64 floats from every cached row, as a decode step does:
// 256 B of each 1 KiB row.
// Rates are per CPU second, as in kernels_bench.cpp.
// Run e.g.: llamafast_bench --benchmark_filter='^(attention|vector|ops)/'
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/half.h"
#include "kernels/kernels.h"
#include "model/config.h"
#include "runtime/ops.h"

namespace llamafast::kernels {
namespace {

constexpr int kHeadDim = 64;
constexpr size_t kKvRowFloats = 256;  // 4 KV heads of 64
constexpr int kDim = 2048;
constexpr int kHidden = 5632;

// Deterministic values in [-2, 2): typical activations, no denormals or
// infinities to slow or skip any path.
std::vector<float> values(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  for (float& f : v) {
    seed = seed * 1664525u + 1013904223u;
    f = float(int32_t(seed) >> 8) * (2.0f / float(1 << 23));
  }
  return v;
}

void report(benchmark::State& state, double bytes_per_call, double elements_per_call) {
  const auto iters = double(state.iterations());
  state.SetBytesProcessed(int64_t(bytes_per_call * iters));
  state.SetItemsProcessed(int64_t(elements_per_call * iters));
}

// scores[h][j] = q_h . key_j for `rows` cached positions and `heads` query
// heads sharing the KV head (1, or TinyLlama's GQA group of 8). Bytes: the
// keys as each head uses them (what heads separate calls would read).
void bm_dot_rows(benchmark::State& state, const KernelTable* table, int heads, int rows) {
  const std::vector<float> q = values(size_t(heads) * kHeadDim, 1), keys = values(size_t(rows) * kKvRowFloats, 2);
  std::vector<float> scores(size_t(heads) * size_t(rows));
  for (auto _ : state) {
    table->dot_rows(q.data(), kHeadDim, heads, keys.data(), kKvRowFloats, rows, kHeadDim, 0.125f, scores.data(),
                    size_t(rows));
    benchmark::DoNotOptimize(scores.data());
    benchmark::ClobberMemory();
  }
  report(state, double(heads) * rows * (kHeadDim * 4 + 4), double(heads) * rows);
}

// out_h = sum_j p_h[j] * value_j for `rows` cached positions and `heads`
// query heads, as bm_dot_rows.
void bm_weighted_rows(benchmark::State& state, const KernelTable* table, int heads, int rows) {
  const std::vector<float> p = values(size_t(heads) * size_t(rows), 3), vals = values(size_t(rows) * kKvRowFloats, 4);
  std::vector<float> out(size_t(heads) * kHeadDim);
  for (auto _ : state) {
    table->weighted_rows(p.data(), size_t(rows), heads, vals.data(), kKvRowFloats, rows, kHeadDim, out.data(),
                         kHeadDim);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, double(heads) * rows * (kHeadDim * 4 + 4), double(heads) * rows);
}

// softmax over `n` scores, in place: each call starts from the same scores
// (copied in; the copy is part of the time and of the bytes).
void bm_softmax(benchmark::State& state, const KernelTable* table, int n) {
  const std::vector<float> scores = values(size_t(n), 5);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto _ : state) {
    x = scores;
    table->softmax(x.data(), n);
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  report(state, double(n) * 4 * 4, n);  // copy (read, write), softmax (read, write)
}

// gate = silu(gate) * up over the FFN's hidden units. gate is overwritten, so
// each call starts from a fresh copy (counted, as in bm_softmax).
void bm_silu_mul(benchmark::State& state, const KernelTable* table) {
  const std::vector<float> gate0 = values(kHidden, 6), up = values(kHidden, 7);
  std::vector<float> gate(kHidden);
  for (auto _ : state) {
    gate = gate0;
    table->silu_mul(gate.data(), up.data(), kHidden);
    benchmark::DoNotOptimize(gate.data());
    benchmark::ClobberMemory();
  }
  report(state, double(kHidden) * 4 * 5, kHidden);  // copy 2, gate 2, up 1
}

// One token's activations to int8 with their scale (8da4w, 8da8w).
void bm_quantize(benchmark::State& state, const KernelTable* table, int n) {
  const std::vector<float> x = values(size_t(n), 8);
  std::vector<int8_t> q(static_cast<size_t>(n));
  for (auto _ : state) {
    benchmark::DoNotOptimize(table->quantize_activations(x.data(), n, q.data()));
    benchmark::ClobberMemory();
  }
  report(state, double(n) * 5, n);
}

// One embedding row of a half-precision table to fp32.
void bm_row_to_f32(benchmark::State& state, const KernelTable* table, DType dtype) {
  std::vector<uint16_t> row(kDim);
  const std::vector<float> v = values(kDim, 9);
  for (int i = 0; i < kDim; ++i) row[size_t(i)] = dtype == DType::f16 ? f32_to_f16(v[size_t(i)]) : f32_to_bf16(v[size_t(i)]);
  std::vector<float> out(kDim);
  for (auto _ : state) {
    table->row_to_f32(dtype, row.data(), out.data(), kDim);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, double(kDim) * 6, kDim);
}

// The per-token ops of runtime/ops.h (plain C++, vectorized by the compiler).
void bm_rmsnorm(benchmark::State& state) {
  const std::vector<float> x = values(kDim, 10), w = values(kDim, 11);
  std::vector<float> out(kDim);
  for (auto _ : state) {
    ops::rmsnorm(x.data(), w.data(), out.data(), kDim, 1e-5f);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, double(kDim) * 4 * 3, kDim);
}

void bm_rope(benchmark::State& state) {
  ModelConfig config;
  config.dim = kDim;
  config.n_heads = kDim / kHeadDim;
  config.n_kv_heads = config.n_heads;
  config.head_dim = kHeadDim;
  const std::vector<double> inv_freq = ops::rope_inv_freq(config);
  std::vector<float> cos(kHeadDim / 2), sin(kHeadDim / 2);
  for (int i = 0; i < kHeadDim / 2; ++i) {
    cos[size_t(i)] = float(std::cos(100.0 * inv_freq[size_t(i)]));
    sin[size_t(i)] = float(std::sin(100.0 * inv_freq[size_t(i)]));
  }
  std::vector<float> q = values(kDim, 12);
  for (auto _ : state) {
    // A rotation keeps the values' size, so repeating it on the same vector is safe.
    ops::rope(q.data(), config.n_heads, kHeadDim, cos.data(), sin.data(), config.rope_layout);
    benchmark::DoNotOptimize(q.data());
    benchmark::ClobberMemory();
  }
  report(state, double(kDim) * 4 * 2, kDim);
}

void bm_add(benchmark::State& state) {
  std::vector<float> x = values(kDim, 13);
  const std::vector<float> y = values(kDim, 14);
  for (auto _ : state) {
    ops::add(x.data(), y.data(), kDim);
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  report(state, double(kDim) * 4 * 3, kDim);
}

const bool registered = [] {
  for (const char* isa : {"scalar", "avx2", "avx512", "neon"}) {
    const KernelTable* table = find(isa);
    if (table == nullptr) continue;
    const std::string prefix = std::string("/") + isa + "/";
    for (int rows : {512, 2048}) {
      for (int heads : {1, 8}) {
        const std::string shape = "/heads" + std::to_string(heads) + "/ctx" + std::to_string(rows);
        benchmark::RegisterBenchmark(("attention" + prefix + "dot_rows" + shape).c_str(), bm_dot_rows,
                                     table, heads, rows);
        benchmark::RegisterBenchmark(("attention" + prefix + "weighted_rows" + shape).c_str(),
                                     bm_weighted_rows, table, heads, rows);
      }
      benchmark::RegisterBenchmark(("vector" + prefix + "softmax/" + std::to_string(rows)).c_str(),
                                   bm_softmax, table, rows);
    }
    benchmark::RegisterBenchmark(("vector" + prefix + "silu_mul/" + std::to_string(kHidden)).c_str(),
                                 bm_silu_mul, table);
    for (int n : {kDim, kHidden}) {
      benchmark::RegisterBenchmark(("vector" + prefix + "quantize_activations/" + std::to_string(n)).c_str(),
                                   bm_quantize, table, n);
    }
    for (DType dtype : {DType::f16, DType::bf16}) {
      benchmark::RegisterBenchmark(
          ("vector" + prefix + "row_to_f32/" + std::string(dtype_name(dtype)) + "/" + std::to_string(kDim)).c_str(),
          bm_row_to_f32, table, dtype);
    }
  }
  benchmark::RegisterBenchmark("ops/rmsnorm/2048", bm_rmsnorm);
  benchmark::RegisterBenchmark("ops/rope/2048", bm_rope);
  benchmark::RegisterBenchmark("ops/add/2048", bm_add);
  return true;
}();

}  // namespace
}  // namespace llamafast::kernels
