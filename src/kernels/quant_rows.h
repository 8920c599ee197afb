// Weight-only quantized matmul for decode and a few tokens (fp32 activations,
// Q::kQuantRowTokens per pass): like matmul_rows.h, each row is streamed once
// per pass and its dot products with the tokens kept in vector lanes, 4 rows
// at a time. Integers are widened and scaled in registers, a group at a time:
// the scale is folded into the weights (q8: one multiply per vector; q4: into
// the nibble decoder, see Q::nibbles), so one accumulator per row and token
// sums every group. Q is the ISA's quant traits (x86/simd_quant_*.h).
// See simd_common.h for how and where to include it.
#pragma once

#include <cstddef>

#include "kernels/quant_view.h"
#include "kernels/simd_common.h"

namespace llamafast::kernels {
namespace {

// y[t * ldy + r] = sum_c x[t, c] W[r0 + r, c] for an R x T tile. With T == 1
// the high nibbles of q4 go to a second set of accumulators, so that the two
// FMAs per weight byte do not wait on each other.
template <class Q, int R, int T>
LLAMAFAST_ALWAYS_INLINE void quant_row_tile(const QuantView& W, int r0, const float* x,
                                            size_t ldx, float* y, size_t ldy) {
  using V = typename Q::V;
  constexpr int L = Q::kLanes;
  constexpr int U = T == 1 ? 2 : 1;
  V acc[U][R][T];
#pragma GCC unroll 2
  for (int u = 0; u < U; ++u)
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) acc[u][r][t] = Q::zero();

  for (int g = 0; g < W.groups; ++g) {
    const int len = W.group_len(g);
    const float* xg = x + g * W.group;
    const uint8_t* w[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) w[r] = W.group_data(r0 + r, g);
    if (!W.q4) {
      V scale[R];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) scale[r] = Q::set1(Q::scale(W.scale_at(r0 + r, g), W.f16_scales));
      for (int j = 0; j < len; j += L) {
        const int count = imin(L, len - j);
        V xv[T];
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t)
          xv[t] = count == L ? Q::load(xg + t * ldx + j) : Q::load_tail(xg + t * ldx + j, count);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const V wv = Q::q8(w[r] + j, count, scale[r]);
#pragma GCC unroll 4
          for (int t = 0; t < T; ++t) acc[0][r][t] = Q::fma(wv, xv[t], acc[0][r][t]);
        }
      }
    } else {
      // Byte j holds column j (low nibble) and column h + j (high nibble).
      const int h = (len + 1) / 2;
      typename Q::Nibbles table[R];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) table[r] = Q::nibbles(Q::scale(W.scale_at(r0 + r, g), W.f16_scales));
      for (int j = 0; j < h; j += L) {
        const int lo_count = imin(L, h - j), hi_count = imin(L, len - h - j);
        V xlo[T], xhi[T];
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t) {
          const float* xt = xg + t * ldx;
          xlo[t] = lo_count == L ? Q::load(xt + j) : Q::load_tail(xt + j, lo_count);
          // A ragged odd group's last high nibble is no column: its weight
          // meets a zero here.
          xhi[t] = hi_count == L ? Q::load(xt + h + j)
                   : hi_count > 0 ? Q::load_tail(xt + h + j, hi_count)
                                  : Q::zero();
        }
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          V lo, hi;
          Q::q4(w[r] + j, lo_count, table[r], lo, hi);
#pragma GCC unroll 4
          for (int t = 0; t < T; ++t) {
            acc[0][r][t] = Q::fma(lo, xlo[t], acc[0][r][t]);
            acc[U - 1][r][t] = Q::fma(hi, xhi[t], acc[U - 1][r][t]);
          }
        }
      }
    }
  }

  if constexpr (U == 2) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[0][r][0] = Q::add(acc[0][r][0], acc[1][r][0]);
  }
#pragma GCC unroll 4
  for (int t = 0; t < T; ++t) {
    float* yt = y + t * ldy + r0;
    if constexpr (R == 4) {
      Q::hsum4(acc[0][0][t], acc[0][1][t], acc[0][2][t], acc[0][3][t], yt);
    } else {
      // The same order of additions as in a 4-row tile, so that a row's
      // result does not depend on how the caller split the rows.
      float sums[4];
      Q::hsum4(acc[0][0][t], acc[0][0][t], acc[0][0][t], acc[0][0][t], sums);
      yt[0] = sums[0];
    }
  }
}

template <class Q, int T>
void quant_row_tiles(const QuantView& W, const float* x, float* y, size_t ldy, int row_begin,
                     int row_end) {
  constexpr int R = 4;
  int r = row_begin;
  for (; r + R <= row_end; r += R) quant_row_tile<Q, R, T>(W, r, x, size_t(W.cols), y, ldy);
  for (; r < row_end; ++r) quant_row_tile<Q, 1, T>(W, r, x, size_t(W.cols), y, ldy);
}

// quant_row_tiles for a token count known only at run time, 1 <= n <= T.
template <class Q, int T = Q::kQuantRowTokens>
void quant_row_tiles_n(int n, const QuantView& W, const float* x, float* y, size_t ldy,
                       int row_begin, int row_end) {
  if (n == T) return quant_row_tiles<Q, T>(W, x, y, ldy, row_begin, row_end);
  if constexpr (T > 1) quant_row_tiles_n<Q, T - 1>(n, W, x, y, ldy, row_begin, row_end);
}

}  // namespace
}  // namespace llamafast::kernels
