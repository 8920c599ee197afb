// The CPU's peak arithmetic rates: the limit that prefill, bound by
// arithmetic rather than memory, is measured against (docs/benchmarks.md).
// Each loop keeps every operand in registers and runs one instruction in
// `chains` independent dependency chains. A chain waits for its previous
// result, so a few chains show the instruction's latency, enough of them its
// throughput; the prefill tiles' integer sums are such chains (2 per token of
// a tile). Rates count a multiply-add as two operations, as the matmul
// benchmarks do: vpdpbusd adds 64 of them, vpdpwssd and vdpbf16ps 32,
// vfmadd231ps 16 (zmm) or 8 (ymm). /threads:2 runs one loop on each of two
// threads and reports their sum.
// Run: llamafast_bench --benchmark_filter='^peak/'
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "kernels/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace llamafast::kernels {
namespace {

constexpr int64_t kSteps = 1 << 16;  // loop steps per benchmark iteration

// K chains of OP on acc[k], each started from INIT; the empty asm makes
// every result opaque to the compiler, so that it can neither fold a chain
// nor drop one.
#define LLAMAFAST_CHAIN_LOOP(VEC, INIT, OP)                         \
  VEC acc[K];                                                       \
  _Pragma("GCC unroll 32") for (int k = 0; k < K; ++k) acc[k] = INIT; \
  for (int64_t i = 0; i < kSteps; ++i) {                            \
    _Pragma("GCC unroll 32") for (int k = 0; k < K; ++k) {          \
      acc[k] = OP;                                                  \
      asm volatile("" : "+v"(acc[k]));                              \
    }                                                               \
  }

template <int K>
__attribute__((target("avx512f,avx512bw,avx512vnni"), noinline)) void vpdpbusd_chains() {
  const __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(-1);
  LLAMAFAST_CHAIN_LOOP(__m512i, _mm512_set1_epi32(k), _mm512_dpbusd_epi32(acc[k], a, b))
}

template <int K>
__attribute__((target("avx512f,avx512bw,avx512vnni"), noinline)) void vpdpwssd_chains() {
  const __m512i a = _mm512_set1_epi16(1), b = _mm512_set1_epi16(-1);
  LLAMAFAST_CHAIN_LOOP(__m512i, _mm512_set1_epi32(k), _mm512_dpwssd_epi32(acc[k], a, b))
}

template <int K>
__attribute__((target("avx512f,avx512bf16"), noinline)) void vdpbf16ps_chains() {
  const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3F80);  // bf16 1.0
  LLAMAFAST_CHAIN_LOOP(__m512, _mm512_set1_ps(float(k)), _mm512_dpbf16_ps(acc[k], a, a))
}

template <int K>
__attribute__((target("avx512f"), noinline)) void fma512_chains() {
  const __m512 a = _mm512_set1_ps(1.0f), b = _mm512_set1_ps(0.0f);
  LLAMAFAST_CHAIN_LOOP(__m512, _mm512_set1_ps(float(k)), _mm512_fmadd_ps(acc[k], a, b))
}

template <int K>
__attribute__((target("avx2,fma"), noinline)) void fma256_chains() {
  const __m256 a = _mm256_set1_ps(1.0f), b = _mm256_set1_ps(0.0f);
  LLAMAFAST_CHAIN_LOOP(__m256, _mm256_set1_ps(float(k)), _mm256_fmadd_ps(acc[k], a, b))
}

#undef LLAMAFAST_CHAIN_LOOP

struct Peak {
  const char* name;  // isa/instruction
  bool (*supported)();
  void (*loop)();
  int chains;
  double ops_per_instruction;
};

bool has_avx512vnni() { return cpu_features().has_avx512vnni_table(); }
bool has_avx512bf16() { return cpu_features().has_avx512_table() && cpu_features().avx512_bf16; }
bool has_avx512() { return cpu_features().has_avx512_table(); }
bool has_avx2() { return cpu_features().has_avx2_table(); }

void bm_peak(benchmark::State& state, Peak p) {
  if (!p.supported()) {
    state.SkipWithError("this CPU does not run the instruction");
    return;
  }
  for (auto _ : state) p.loop();
  // Each thread counts its own instructions; Google Benchmark sums the
  // threads' counts over their mean wall-clock time.
  state.counters["OP/s"] = benchmark::Counter(
      double(state.iterations()) * double(kSteps) * p.chains * p.ops_per_instruction,
      benchmark::Counter::kIsRate);
}

const bool registered = [] {
  const Peak peaks[] = {
      {"avx512vnni/vpdpbusd", has_avx512vnni, vpdpbusd_chains<4>, 4, 128},
      {"avx512vnni/vpdpbusd", has_avx512vnni, vpdpbusd_chains<8>, 8, 128},
      {"avx512vnni/vpdpbusd", has_avx512vnni, vpdpbusd_chains<10>, 10, 128},
      {"avx512vnni/vpdpbusd", has_avx512vnni, vpdpbusd_chains<12>, 12, 128},
      {"avx512vnni/vpdpbusd", has_avx512vnni, vpdpbusd_chains<16>, 16, 128},
      {"avx512vnni/vpdpwssd", has_avx512vnni, vpdpwssd_chains<16>, 16, 64},
      {"avx512bf16/vdpbf16ps", has_avx512bf16, vdpbf16ps_chains<16>, 16, 64},
      {"avx512/vfmadd231ps", has_avx512, fma512_chains<4>, 4, 32},
      {"avx512/vfmadd231ps", has_avx512, fma512_chains<16>, 16, 32},
      {"avx2/vfmadd231ps", has_avx2, fma256_chains<16>, 16, 16},
  };
  for (const Peak& p : peaks) {
    const std::string name =
        std::string("peak/") + p.name + "/chains:" + std::to_string(p.chains);
    benchmark::RegisterBenchmark(name.c_str(), bm_peak, p)->Threads(1);
    benchmark::RegisterBenchmark(name.c_str(), bm_peak, p)->Threads(2)->UseRealTime();
  }
  return true;
}();

}  // namespace
}  // namespace llamafast::kernels

#endif  // __x86_64__
