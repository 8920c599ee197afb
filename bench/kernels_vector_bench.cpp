// Throughput of the kernel tables' non-matmul entries (attention over a KV
// cache, softmax, SwiGLU, activation quantization, row conversion) and of the
// per-token ops around them (RMSNorm, RoPE, residual add), at TinyLlama-1.1B's
// shapes: dim 2048, hidden 5632, 32 query heads of 64 over 4 KV heads.
// Every one is bound by memory or by a few vector instructions per element:
// each reports the bytes it reads and writes per second (GB/s, from the
// caches: the data fits L2) and elements per second. The attention entries
// read one KV head's cached rows, contiguous as the KV cache lays them out
// (runtime/kv_cache.h). attention/.../layer-7b/ is one decode step's
// attention in one layer of Llama-2-7B from memory, in that layout and in
// the position-major one it replaced.
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
constexpr size_t kKvRowFloats = kHeadDim;  // one KV head's rows, contiguous
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

// `rows` cached rows of kKvRowFloats elements of a cache type (f32, or f16
// for a half-precision cache: the same values rounded), kept alive by the
// returned storage.
struct CachedRowsData {
  std::vector<float> f32;
  std::vector<uint16_t> f16;
  CacheRows rows(DType dtype, int count) const {
    return {dtype, dtype == DType::f16 ? static_cast<const void*>(f16.data()) : f32.data(), kKvRowFloats, count};
  }
};

CachedRowsData cached_rows(int rows, uint32_t seed) {
  CachedRowsData d{values(size_t(rows) * kKvRowFloats, seed), {}};
  for (float f : d.f32) d.f16.push_back(f32_to_f16(f));
  return d;
}

// scores[h][j] = q_h . key_j for `rows` cached positions and `heads` query
// heads sharing the KV head (1, or TinyLlama's GQA group of 8). Bytes: the
// keys as each head uses them (what heads separate calls would read).
void bm_dot_rows(benchmark::State& state, const KernelTable* table, DType dtype, int heads, int rows) {
  const std::vector<float> q = values(size_t(heads) * kHeadDim, 1);
  const CachedRowsData keys = cached_rows(rows, 2);
  std::vector<float> scores(size_t(heads) * size_t(rows));
  for (auto _ : state) {
    table->dot_rows(q.data(), kHeadDim, heads, keys.rows(dtype, rows), kHeadDim, 0.125f, scores.data(),
                    size_t(rows));
    benchmark::DoNotOptimize(scores.data());
    benchmark::ClobberMemory();
  }
  report(state, double(heads) * rows * (kHeadDim * dtype_size(dtype) + 4), double(heads) * rows);
}

// out_h = sum_j p_h[j] * value_j for `rows` cached positions and `heads`
// query heads, as bm_dot_rows.
void bm_weighted_rows(benchmark::State& state, const KernelTable* table, DType dtype, int heads, int rows) {
  const std::vector<float> p = values(size_t(heads) * size_t(rows), 3);
  const CachedRowsData vals = cached_rows(rows, 4);
  std::vector<float> out(size_t(heads) * kHeadDim);
  for (auto _ : state) {
    table->weighted_rows(p.data(), size_t(rows), heads, vals.rows(dtype, rows), kHeadDim, out.data(), kHeadDim);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, double(heads) * rows * (kHeadDim * dtype_size(dtype) + 4), double(heads) * rows);
}

// One decode step's attention in one layer of Llama-2-7B (32 heads of 128,
// no GQA) at 2048 cached positions: every head's scores over its keys, then
// its weighted sum of its values (softmax left out: the same either way).
// The caches of 8 layers (512 MiB in f32) are used in turn, so the keys and
// values come from memory, as in a model. Head-major: a head's rows are
// contiguous (the KV cache's layout); position-major: a position's 32 heads
// are (the layout before), so a head reads 512 B of every 16 KiB. Bytes: the
// keys and values of one layer.
void bm_attention_layer_7b(benchmark::State& state, const KernelTable* table, DType dtype, bool head_major) {
  constexpr int kHeads = 32, kDim7b = 128, kPositions = 2048, kLayers = 8;
  const size_t per_layer = size_t(kHeads) * kPositions * kDim7b, element = dtype_size(dtype);
  // Contents do not matter to the speed; a constant keeps the setup quick.
  std::vector<std::byte> keys(kLayers * per_layer * element, std::byte{0x11}), vals = keys;
  std::vector<float> q(size_t(kHeads) * kDim7b, 0.01f), scores(kPositions), out(size_t(kHeads) * kDim7b);
  int layer = 0;
  for (auto _ : state) {
    for (int h = 0; h < kHeads; ++h) {
      const size_t first = layer * per_layer + (head_major ? size_t(h) * kPositions * kDim7b : size_t(h) * kDim7b);
      const size_t stride = head_major ? size_t(kDim7b) : size_t(kHeads) * kDim7b;
      table->dot_rows(&q[size_t(h) * kDim7b], kDim7b, 1, {dtype, keys.data() + first * element, stride, kPositions},
                      kDim7b, 0.1f, scores.data(), kPositions);
      table->weighted_rows(scores.data(), kPositions, 1, {dtype, vals.data() + first * element, stride, kPositions},
                           kDim7b, &out[size_t(h) * kDim7b], kDim7b);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    layer = (layer + 1) % kLayers;
  }
  report(state, 2.0 * double(per_layer * element), 2.0 * kHeads * kPositions);
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
        for (DType dtype : {DType::f32, DType::f16}) {
          // f32 caches keep the names they had before caches had a type.
          const std::string shape = "/heads" + std::to_string(heads) + "/ctx" + std::to_string(rows) +
                                    (dtype == DType::f32 ? "" : "/cache-f16");
          benchmark::RegisterBenchmark(("attention" + prefix + "dot_rows" + shape).c_str(), bm_dot_rows,
                                       table, dtype, heads, rows);
          benchmark::RegisterBenchmark(("attention" + prefix + "weighted_rows" + shape).c_str(),
                                       bm_weighted_rows, table, dtype, heads, rows);
        }
      }
      benchmark::RegisterBenchmark(("vector" + prefix + "softmax/" + std::to_string(rows)).c_str(),
                                   bm_softmax, table, rows);
    }
    for (DType dtype : {DType::f32, DType::f16}) {
      for (bool head_major : {true, false}) {
        const std::string name = "attention" + prefix + "layer-7b/" + (head_major ? "head-major/" : "position-major/") +
                                 std::string(dtype_name(dtype)) + "/ctx2048";
        benchmark::RegisterBenchmark(name.c_str(), bm_attention_layer_7b, table, dtype, head_major);
      }
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
