// The one interface to the numeric kernels. Each instruction set provides a
// KernelTable: scalar.cpp is the reference; x86/kernels_avx2.cpp,
// x86/kernels_avx512.cpp and arm/kernels_neon.cpp are the fast ones, built
// from ISA-neutral templates (matmul_simd.h, vector_ops.h). dispatch.cpp picks
// one at run time from the CPU's features (cpu_features.h), or from
// LLAMAFAST_ISA=scalar|avx2|avx512|neon.
//
// Contract shared by every table:
//  - Pointers need only their element's natural alignment. Weight rows whose
//    byte length is a multiple of 64 (cols % 16 == 0 for f32, % 32 for
//    f16/bf16) and a 64-byte aligned W.data are fastest: then every row starts
//    on a cache line.
//  - Kernels read only the elements they are given: never past the last weight
//    of a row or the last activation, so buffers need no padding.
//  - Kernels never allocate and keep no state (matmul uses up to 40 KiB of
//    stack): any number of threads may call them at once on disjoint outputs.
//  - Inputs and outputs must not overlap.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/dtype.h"

namespace llamafast::kernels {

// A row-major weight matrix W [rows, cols] stored in `dtype`, rows packed
// (row r starts at element r * cols).
struct WeightMatrix {
  DType dtype;
  const void* data;
  int rows;
  int cols;
};

struct KernelTable {
  std::string_view isa;  // "scalar", "avx2", "avx512", ...

  // y[t, r] = sum_c x[t, c] * W[r, c]   for t in [0, n), r in [row_begin, row_end).
  // x: [n, W.cols] fp32, contiguous; y: [n, ldy] fp32 (ldy >= W.rows), only
  // columns [row_begin, row_end) are written. Accumulates in fp32. Callers split
  // rows across threads; n == 1 is decode (matrix x vector), n > 1 prefill.
  // The SIMD tables add in a different order from the scalar one, so results
  // differ in the last bits: by at most ~2e-7 * sum_c |x[t, c] * W[r, c]|
  // measured (tests allow 1e-5). Results do not depend on how rows are split
  // across threads, but may on n (decode and prefill use different kernels).
  void (*matmul)(const WeightMatrix& W, const float* x, int n, float* y, int ldy,
                 int row_begin, int row_end);

  // dst[i] = float(src[i]) for one stored row (embedding lookup). Exact for
  // every value; a NaN stays a NaN (its payload may be quieted).
  void (*row_to_f32)(DType dtype, const void* src, float* dst, int n);

  // sum_i a[i] * b[i]
  float (*dot)(const float* a, const float* b, int n);

  // y[i] += alpha * x[i]
  void (*axpy)(float alpha, const float* x, float* y, int n);
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

// A table this CPU can run, for tests and benchmarks. Returns nullptr for an
// ISA that is not compiled into this binary or not supported by the CPU (or
// its operating system).
const KernelTable* find(std::string_view isa);

// Reference table (always available).
const KernelTable& scalar_table();

}  // namespace llamafast::kernels
