// Weight-only quantized matmul for prefill: matmul_panels.h's packed-panel
// kernel, with the weights dequantized (widened and scaled) while a panel is
// packed instead of widened. A panel (2 vectors of rows x kPanelCols columns)
// is dequantized once into L1 and reused by every token tile of the block, so
// dequantizing costs a few instructions per weight against n FMAs.
// See simd_common.h for how and where to include it.
#pragma once

#include "kernels/matmul_panels.h"
#include "kernels/quant_reference.h"
#include "kernels/quant_view.h"
#include "kernels/simd_common.h"

namespace llamafast::kernels {
namespace {

// Columns c .. c+count (count <= L) of row r as scaled fp32, zeros after.
// Vector loads when the columns lie in one group and, for q4, in one nibble
// half of it (always, for groups that are a multiple of 2L); otherwise one
// weight at a time (a ragged last group, odd group sizes).
template <class Q>
typename Q::V dequantize(const WeightMatrix& M, const QuantView& W, int r, int c, int count) {
  constexpr int L = Q::kLanes;
  const int g = c / W.group, j = c - g * W.group, len = W.group_len(g);
  if (j + count <= len) {
    const uint8_t* p = W.group_data(r, g);
    const typename Q::V scale = Q::scale(W.scale_at(r, g), W.f16_scales);
    if (!W.q4) return Q::q8(p + j, count, scale);
    const int h = (len + 1) / 2;
    typename Q::V lo, hi;
    if (j + count <= h) {
      Q::q4(p + j, count, Q::nibbles(scale), lo, hi);
      return lo;
    }
    if (j >= h) {
      Q::q4(p + j - h, count, Q::nibbles(scale), lo, hi);
      return hi;
    }
  }
  float tmp[L] = {};
  for (int i = 0; i < count; ++i) {
    tmp[i] = quant_scale(M, r, (c + i) / W.group) * float(quant_value(M, r, c + i));
  }
  return Q::load(tmp);
}

template <class Q>
void quant_panel_matmul(const WeightMatrix& M, const float* x, int n, float* y, size_t ldy,
                        int row_begin, int row_end) {
  const QuantView W(M);
  const auto pack = [&](int r, int rows, int c0, int k, float* P) {
    pack_panel<Q>(rows, k, P, [&](int j, int c, int count) {
      return dequantize<Q>(M, W, r + j, c0 + c, count);
    });
  };
  panel_matmul<Q>(pack, M.cols, x, n, y, ldy, row_begin, row_end);
}

}  // namespace
}  // namespace llamafast::kernels
