// The SIMD quantized matmul (q8 / q4 weights): picks the kernel for the
// activations and the token count. Q is the ISA's quant traits, I its
// integer dot products (x86/simd_quant_*.h).
// See simd_common.h for how and where to include it.
#pragma once

#include <cstddef>

#include "kernels/kernels.h"
#include "kernels/quant_int8.h"
#include "kernels/quant_panels.h"
#include "kernels/quant_reference.h"
#include "kernels/quant_rows.h"
#include "kernels/quant_view.h"
#include "kernels/simd_common.h"

namespace llamafast::kernels {
namespace {

// Up to how many tokens the weight-only kernel streams rows (a pass per
// Q::kQuantRowTokens) rather than dequantizing panels.
template <class Q>
constexpr int kQuantRowPathMaxTokens = 2 * Q::kQuantRowTokens;

template <class Q, class I>
void matmul_quant(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
                  int row_end) {
  const size_t ld = size_t(ldy);
  if (W.cols == 0) {  // empty sums
    for (int t = 0; t < n; ++t)
      for (int r = row_begin; r < row_end; ++r) y[t * ld + r] = 0.0f;
  } else if (W.int8_activations) {
    if (W.dtype == DType::q4 && W.quant.group > kActBytes) {
      // A q4 group must fit the activation buffer whole; no layout has one
      // this long (GGUF and llamafast use 32 .. 256).
      return matmul_quant_reference(W, x, n, y, ldy, row_begin, row_end);
    }
    switch (W.quant.group) {  // the common sizes get constant trip counts
      case 32: return int8_matmul<Q, I, 32>(W, x, n, y, ld, row_begin, row_end);
      case 64: return int8_matmul<Q, I, 64>(W, x, n, y, ld, row_begin, row_end);
      case 128: return int8_matmul<Q, I, 128>(W, x, n, y, ld, row_begin, row_end);
      case 256: return int8_matmul<Q, I, 256>(W, x, n, y, ld, row_begin, row_end);
    }
    return int8_matmul<Q, I, 0>(W, x, n, y, ld, row_begin, row_end);
  } else if (n <= kQuantRowPathMaxTokens<Q>) {
    const QuantView view(W);
    for (int t0 = 0; t0 < n; t0 += Q::kQuantRowTokens) {
      quant_rows<Q>(imin(Q::kQuantRowTokens, n - t0), view, x + size_t(t0) * W.cols, y + t0 * ld,
                    ld, row_begin, row_end);
    }
  } else {
    quant_panel_matmul<Q>(W, x, n, y, ld, row_begin, row_end);
  }
}

// Quant for matmul_simd.h's matmul.
template <class Q, class I>
struct QuantKernels {
  static void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
                     int row_end) {
    matmul_quant<Q, I>(W, x, n, y, ldy, row_begin, row_end);
  }
};

}  // namespace
}  // namespace llamafast::kernels
