// Shared by the ISA-neutral SIMD kernel templates (matmul_rows.h,
// matmul_panels.h, matmul_simd.h, vector_ops.h), each written once over an
// `Isa` struct of vector operations (x86/simd_avx2.h, x86/simd_avx512.h) and
// included only by the kernel file compiled for that ISA.
//
// Everything in those headers sits in an anonymous namespace on purpose: each
// ISA file gets its own private copy, compiled with its own flags. With
// external linkage the linker would keep one copy of each inline function for
// the whole program, possibly the AVX-512 one, and the AVX2 or scalar path
// would then crash on a CPU without AVX-512.
#pragma once

#include "kernels/kernels.h"

#define LLAMAFAST_ALWAYS_INLINE inline __attribute__((always_inline))
// For lambdas inside the kernels (after the parameter list): their
// accumulators must stay in registers, which a lambda left uninlined spills.
#define LLAMAFAST_INLINE_LAMBDA __attribute__((always_inline))

namespace llamafast::kernels {
namespace {

constexpr int imin(int a, int b) { return a < b ? a : b; }
constexpr int imax(int a, int b) { return a > b ? a : b; }

// Asks for the line at p, weights that decode reads once, in the way this
// process prefetches them (kernels.h: WeightPrefetch).
LLAMAFAST_ALWAYS_INLINE void prefetch_weights(const void* p) {
  if (process_weight_prefetch == WeightPrefetch::l2) {
    __builtin_prefetch(p, 0, 2);
  } else {
    __builtin_prefetch(p, 0, 0);
  }
}

}  // namespace
}  // namespace llamafast::kernels
