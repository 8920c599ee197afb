// The one interface to the numeric kernels. Each instruction set provides a
// KernelTable: scalar.cpp is the reference; x86/kernels_avx2*.cpp,
// x86/kernels_avx512*.cpp and arm/kernels_neon.cpp are the fast ones, built
// from ISA-neutral templates (matmul_simd.h, matmul_quant.h, vector_ops.h).
// The *vnni tables are their base table with integer dot products by
// vpdpbusd for the int8_activations matmuls; AVX512-VNNI also has its own
// quantized decode and prefill kernels (x86/quant_*_avx512.h). dispatch.cpp picks one at run
// time from the CPU's features (cpu_features.h), or from
// LLAMAFAST_ISA=scalar|avx2|avx2vnni|avx512|avx512vnni|neon.
//
// Contract shared by every table:
//  - Pointers need only their element's natural alignment. Weight rows whose
//    byte length is a multiple of 64 (cols % 16 == 0 for f32, % 32 for
//    f16/bf16) and a 64-byte aligned W.data are fastest: then every row starts
//    on a cache line.
//  - Kernels read only the elements they are given: never past the last weight
//    of a row or the last activation, so buffers need no padding.
//  - Kernels keep no state but what matmul leaves in the caller's
//    PreparedInput (they use up to 64 KiB of stack): any number of threads may
//    call them at once on disjoint outputs, each with its own PreparedInput or
//    none. They allocate only there, once per shape (the PreparedInput grows),
//    except AVX512-VNNI prefill without one, which allocates its converted
//    activations on every call.
//  - Inputs and outputs must not overlap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/dtype.h"
#include "kernels/prepared_input.h"

namespace llamafast::kernels {

// Where the integers and scales of a quantized matrix live. Weights are
// symmetric: W[r, c] = scale(r, g) * q(r, c) with g = c / group; every row is
// split into groups of `group` columns, the last one shorter when cols is not
// a multiple (per-channel int8 is group == cols). Strides are in bytes, so the
// same description covers llamafast's own layout (integers and scales in
// separate arrays) and GGUF's Q8_0 / Q4_0 blocks (a scale before each group).
//  q8: q(r, c) is an int8 at data + r*row_stride + g*group_stride + (c - g*group).
//  q4: a group of L columns fills ceil(L/2) bytes; with h = ceil(L/2), column j
//      of the group is the low nibble of byte j (j < h) or the high nibble of
//      byte j - h (j >= h), stored as u in [0, 15] meaning q = u - 8. (For L = 32
//      this is GGUF's Q4_0 order: low nibbles hold 0..15, high ones 16..31.)
struct QuantLayout {
  int group = 0;
  size_t row_stride = 0;
  size_t group_stride = 0;
  const void* scales = nullptr;   // scale(r, g) at scales + r*scale_row_stride + g*scale_group_stride
  DType scale_dtype = DType::f32;  // f32 or f16
  size_t scale_row_stride = 0;
  size_t scale_group_stride = 0;
};

// A weight matrix W [rows, cols]. Float types are row-major with rows packed
// (row r starts at element r * cols); q8 / q4 follow `quant`.
struct WeightMatrix {
  DType dtype;
  const void* data;
  int rows;
  int cols;
  QuantLayout quant{};
  // q8 / q4 only: quantize each token's activations to int8 at run time and
  // multiply with integer dot products (8da4w is q4 with this set). The scale
  // of token t is s = m / 127 with m = max_c |x[t, c]|, its integers
  // xq = nearbyint(x * (127 / m)) in fp32, ties to even (all 0 when m == 0);
  // y[t, r] = sum_g scale(r, g) * s * sum_{c in g} q(r, c) * xq(t, c), the
  // inner sums exact in int32. quantize_activations() below is that step.
  // Otherwise (weight-only) weights are widened to fp32 and multiplied with
  // fp32 activations, except on AVX512-VNNI, which rounds the activations to
  // int16 with one scale per 32 columns (each off by at most 2^-16 of its
  // group's largest |x|) for integer dot products when the row length is a
  // multiple of 32 (decode: as quant_decode_avx512.h lists; prefill: as
  // quant_prefill_avx512.h does).
  bool int8_activations = false;
  // bf16 only: the activations are bf16 values too (every x[t, c] exactly
  // representable in bf16; callers round them, ops::round_to_bf16), as in
  // PyTorch's and llama.cpp's bf16 inference. Every table then computes the
  // same sums of exact products; tables with bf16 dot products (AVX512-BF16,
  // x86/kernels_avx512_bf16.cpp) use them for prefill, at twice the products
  // per instruction of fp32 FMAs. Activations that are not bf16 values give
  // results that depend on the table (that kernel rounds them to nearest).
  bool bf16_activations = false;
};

// The per-token activation quantization of int8_activations: writes q[0, n)
// and returns the scale s (0 when every x is 0).
float quantize_activations(const float* x, int n, int8_t* q);

// Row `row` of W as fp32: dst[0, W.cols). Any dtype; used for embedding
// lookups (one row per token) and tests, not for matmuls.
void weight_row_to_f32(const WeightMatrix& W, int row, float* dst);

// `count` rows of a KV cache, one KV head's keys or values: row j is the
// elements of type `dtype` (f32, f16 or bf16, the cache's type) that start
// at element j * stride of `data`.
struct CacheRows {
  DType dtype;
  const void* data;
  size_t stride;
  int count;
};

struct KernelTable {
  std::string_view isa;  // "scalar", "avx2", "avx512", ...

  // y[t, r] = sum_c x[t, c] * W[r, c]   for t in [0, n), r in [row_begin, row_end).
  // x: [n, W.cols] fp32, contiguous; y: [n, ldy] fp32 (ldy >= W.rows), only
  // columns [row_begin, row_end) are written. Accumulates in fp32. Callers split
  // rows across threads; n == 1 is decode (matrix x vector), n > 1 prefill.
  // Quantized W (q8 / q4) follows the formulas at WeightMatrix; fp32 sums
  // of exact products, so the same tolerance applies.
  // The SIMD tables add in a different order from the scalar one, so results
  // differ in the last bits: by at most ~2e-7 * sum_c |x[t, c] * W[r, c]|
  // measured (tests allow 1e-5). Results do not depend on how rows are split
  // across threads, nor on a token's place among the n, but may on n (decode
  // and prefill use different kernels).
  // `prepared` (may be null): where a kernel that converts the activations
  // before use (AVX512-VNNI decode and prefill) keeps them for the next call
  // on the same x; the caller clears it when x's values change
  // (prepared_input.h).
  void (*matmul)(const WeightMatrix& W, const float* x, int n, float* y, int ldy,
                 int row_begin, int row_end, PreparedInput* prepared);

  // dst[i] = float(src[i]) for a float dtype (f32 / f16 / bf16). Exact for
  // every value; a NaN stays a NaN (its payload may be quieted).
  void (*row_to_f32)(DType dtype, const void* src, float* dst, int n);

  // Attention over a KV cache, for `heads` query heads that share one KV head
  // (grouped-query attention): `rows` holds that KV head's cached keys or
  // values (CacheRows), each n elements long. Head h's query,
  // probabilities, scores and output start at h * ldq, h * ldp, h * lds and
  // h * ldo. The rows are read once per block of 4 heads (2 with AVX2) rather
  // than once per head, and each head's results are the same, bit for bit,
  // whatever `heads` is. f16 / bf16 rows are widened to fp32 exactly, so the
  // results are those of fp32 rows holding the same values, bit for bit.
  // scores[h][j] = scale * sum_i q[h][i] * row_j[i]
  void (*dot_rows)(const float* q, size_t ldq, int heads, const CacheRows& rows, int n, float scale,
                   float* scores, size_t lds);
  // out[h][i] = sum_j p[h][j] * row_j[i] for i < n (out is overwritten; all 0
  // when rows.count == 0).
  void (*weighted_rows)(const float* p, size_t ldp, int heads, const CacheRows& rows, int n, float* out,
                        size_t ldo);

  // x = softmax(x) (the max subtracted first), for attention's scores.
  // gate = silu(gate) * up = gate / (1 + e^-gate) * up, SwiGLU's activation.
  // The SIMD tables' e^x is within 2 ulp of exact for x in [-87.3, 88.3] and
  // clamps x to that range: their results differ from the scalar table's
  // (std::exp) by a few units in the last place (tests allow 4e-7 relative to
  // double precision, plus, in softmax, the rounding of x - max to float).
  void (*softmax)(float* x, int n);
  void (*silu_mul)(float* gate, const float* up, int n);

  // quantize_activations (above) with this table's vector operations: bit for
  // bit the same integers and scale. The table's int8_activations matmuls
  // quantize each token with the same vector code.
  float (*quantize_activations)(const float* x, int n, int8_t* q);
};

// The table chosen for this process (decided once, thread-safe): the best one
// the CPU supports, or the one LLAMAFAST_ISA names if the CPU supports it.
const KernelTable& active();

// Why active() differs from what LLAMAFAST_ISA asked for, as one sentence for
// the caller to log (the library itself prints nothing); empty when the
// variable is unset or was honoured. Decided together with active().
std::string_view forced_isa_note();

// The decision active() makes, as a pure function of the requested ISA name
// (empty = no request), so that it can be tested without the environment.
struct IsaChoice {
  const KernelTable* table;  // never null
  std::string note;          // as forced_isa_note(): empty when honoured
};
IsaChoice choose_isa(std::string_view requested);

// How the decode kernels prefetch the weights they stream, each line read
// once, a tile ahead of use (rows of a few KiB are too short for the hardware
// prefetchers to reach full speed):
//  - nontemporal (prefetchnta): into L1, sparing the other caches. Chosen on
//    AMD Zen 5, where the kernels were tuned with it; in the one kernel
//    compared there (bf16-activation decode) prefetcht0/t1 did no better
//    (docs/benchmarks.md).
//  - l2 (prefetcht1): into L2. Chosen on Intel: on a Xeon (family 6 model 207)
//    prefetchnta halved decode speed, and prefetcht1 was faster than
//    prefetcht0 (docs/benchmarks.md).
enum class WeightPrefetch { nontemporal, l2 };

// This process's choice (decided before main): l2 on Intel CPUs, nontemporal
// elsewhere, unless LLAMAFAST_PREFETCH=nta|l2 asks for one (benchmarks).
// A variable, not a function, because the kernels read it in their hot loops.
extern const WeightPrefetch process_weight_prefetch;

// The decision behind process_weight_prefetch, as a pure function of the
// requested name ("nta", "l2"; anything else is no request) and the vendor.
WeightPrefetch choose_weight_prefetch(std::string_view requested, bool intel_cpu);

// Its name as LLAMAFAST_PREFETCH spells it: "nta" or "l2".
std::string_view weight_prefetch_name(WeightPrefetch prefetch);

// A table this CPU can run, for tests and benchmarks. Returns nullptr for an
// ISA that is not compiled into this binary or not supported by the CPU (or
// its operating system).
const KernelTable* find(std::string_view isa);

// Reference table (always available).
const KernelTable& scalar_table();

}  // namespace llamafast::kernels
