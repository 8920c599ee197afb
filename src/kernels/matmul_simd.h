// The SIMD matmul: picks the row-streaming kernel (matmul_rows.h) for decode
// and a few tokens, the packed-panel kernel (matmul_panels.h) for more, and
// instantiates both for the weight dtype. Quantized weights go to
// Quant::matmul: the ISA's own kernels (matmul_quant.h) where it has them,
// the scalar reference otherwise. See simd_common.h for how and where
// to include it.
#pragma once

#include <cstddef>

#include "kernels/kernels.h"
#include "kernels/matmul_panels.h"
#include "kernels/matmul_rows.h"
#include "kernels/quant_reference.h"
#include "kernels/simd_common.h"
#include "kernels/simd_types.h"

namespace llamafast::kernels {
namespace {

// Up to how many tokens streaming the rows (once per kRowTileTokens tokens)
// beats packing panels. Packing 16-bit weights (widen, then transpose) costs
// more than copying fp32 ones, so they stay on the row path longer: measured
// with AVX-512 on Zen 5, rows win up to 12 tokens for f16 / bf16 (by 1.4x at
// 12) and break even around 7 for f32; panels win from 16-24 tokens on.
template <class Isa, class Wt>
constexpr int kRowPathMaxTokens =
    sizeof(Wt) == 4 ? Isa::kRowTileTokens : 2 * Isa::kRowTileTokens;

template <class Isa, class Wt>
void matmul_typed(const Wt* W, int rows, int cols, const float* x, int n, float* y, size_t ldy,
                  int row_begin, int row_end) {
  if (cols == 0) {  // empty sums; the column-blocked loop would not visit them
    for (int t = 0; t < n; ++t)
      for (int r = row_begin; r < row_end; ++r) y[t * ldy + r] = 0.0f;
  } else if (n <= kRowPathMaxTokens<Isa, Wt>) {
    for (int t0 = 0; t0 < n; t0 += Isa::kRowTileTokens) {
      row_tiles_n<Isa>(imin(Isa::kRowTileTokens, n - t0), W, rows, cols, x + size_t(t0) * cols,
                       y + t0 * ldy, ldy, row_begin, row_end);
    }
  } else {
    panel_matmul<Isa>(W, cols, x, n, y, ldy, row_begin, row_end);
  }
}

struct ReferenceQuant {
  static void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy,
                     int row_begin, int row_end) {
    matmul_quant_reference(W, x, n, y, ldy, row_begin, row_end);
  }
};

template <class Isa, class Quant = ReferenceQuant>
void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end) {
  if (n <= 0 || row_begin >= row_end) return;
  switch (W.dtype) {
    case DType::f32:
      return matmul_typed<Isa>(static_cast<const float*>(W.data), W.rows, W.cols, x, n, y,
                               size_t(ldy), row_begin, row_end);
    case DType::f16:
      return matmul_typed<Isa>(static_cast<const F16*>(W.data), W.rows, W.cols, x, n, y,
                               size_t(ldy), row_begin, row_end);
    case DType::bf16:
      return matmul_typed<Isa>(static_cast<const BF16*>(W.data), W.rows, W.cols, x, n, y,
                               size_t(ldy), row_begin, row_end);
    case DType::q8:
    case DType::q4:
      return Quant::matmul(W, x, n, y, ldy, row_begin, row_end);
  }
}

}  // namespace
}  // namespace llamafast::kernels
