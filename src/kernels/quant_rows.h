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
#include <type_traits>

#include "kernels/quant_view.h"
#include "kernels/simd_common.h"

namespace llamafast::kernels {
namespace {

// y[t * ldy + r] = sum_c x[t, c] W[r0 + r, c] for an R x T tile. With T == 1
// the high nibbles of q4 go to a second set of accumulators, so that the two
// FMAs per weight byte do not wait on each other. kG > 0: W.group == kG,
// known at compile time.
template <class Q, int R, int T, int kG>
LLAMAFAST_ALWAYS_INLINE void quant_row_tile(const QuantView& W, int r0, const float* x, size_t ldx,
                                            float* y, size_t ldy, bool prefetch) {
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

  // One group of `len` columns: a compile-time constant for whole groups of
  // a common size (kG > 0), so that their loops have constant trip counts.
  const uint8_t* wrow[R];
  const std::byte* srow[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    wrow[r] = W.row_data(r0 + r);
    srow[r] = W.row_scales(r0 + r);
  }
  NextTilePrefetch<R> next(W, wrow, srow);
  const size_t scale_bytes = W.f16_scales ? 2 : 4;

  const auto group = [&](int g, auto len_tag) LLAMAFAST_INLINE_LAMBDA {
    const int len = len_tag;
    const size_t goff = size_t(g) * W.group_stride, soff = size_t(g) * W.scale_group_stride;
    const float* xg = x + g * W.group;
    const uint8_t* w[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) w[r] = wrow[r] + goff;
    if (prefetch) next.upto(goff + W.group_stride, soff + scale_bytes);
    if (!W.q4) {
      V scale[R];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) scale[r] = Q::scale(srow[r] + soff, W.f16_scales);
      const auto piece = [&](int j, int count) LLAMAFAST_INLINE_LAMBDA {
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
      };
      int j = 0;
#pragma GCC unroll 16
      for (; j + L <= len; j += L) piece(j, L);
      if (j < len) piece(j, len - j);
    } else {
      // Byte j holds column j (low nibble) and column h + j (high nibble).
      const int h = (len + 1) / 2;
      typename Q::Nibbles table[R];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) table[r] = Q::nibbles(Q::scale(srow[r] + soff, W.f16_scales));
      const auto piece = [&](int j, int lo_count, int hi_count) LLAMAFAST_INLINE_LAMBDA {
        V xlo[T], xhi[T];
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t) {
          const float* xt = xg + t * ldx;
          xlo[t] = lo_count == L ? Q::load(xt + j) : Q::load_tail(xt + j, lo_count);
          // A ragged odd group's last high nibble is no column: its weight
          // meets a zero here.
          xhi[t] = hi_count == L  ? Q::load(xt + h + j)
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
      };
      int j = 0;
#pragma GCC unroll 8
      for (; j + L <= len - h; j += L) piece(j, L, L);
      for (; j < h; j += L) piece(j, imin(L, h - j), imax(0, imin(L, len - h - j)));
    }
  };

  const int whole = W.cols / W.group;  // groups of exactly W.group columns
  for (int g = 0; g < whole; ++g) {
    if constexpr (kG > 0) {
      group(g, std::integral_constant<int, kG>{});
    } else {
      group(g, W.group);
    }
  }
  if (whole < W.groups) group(whole, W.cols - whole * W.group);

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

template <class Q, int T, int kG>
void quant_row_tiles(const QuantView& W, const float* x, float* y, size_t ldy, int row_begin,
                     int row_end) {
  constexpr int R = 4;
  int r = row_begin;
  for (; r + R <= row_end; r += R) {
    // Prefetching past row_end: see row_tiles (matmul_rows.h).
    quant_row_tile<Q, R, T, kG>(W, r, x, size_t(W.cols), y, ldy, r + 2 * R <= W.rows);
  }
  for (; r < row_end; ++r) quant_row_tile<Q, 1, T, kG>(W, r, x, size_t(W.cols), y, ldy, false);
}

// quant_row_tiles for a token count known only at run time, 1 <= n <= T.
template <class Q, int kG, int T = Q::kQuantRowTokens>
void quant_row_tiles_n(int n, const QuantView& W, const float* x, float* y, size_t ldy,
                       int row_begin, int row_end) {
  if (n == T) return quant_row_tiles<Q, T, kG>(W, x, y, ldy, row_begin, row_end);
  if constexpr (T > 1) quant_row_tiles_n<Q, kG, T - 1>(n, W, x, y, ldy, row_begin, row_end);
}

// quant_row_tiles_n with the common group sizes known at compile time.
template <class Q>
void quant_rows(int n, const QuantView& W, const float* x, float* y, size_t ldy, int row_begin,
                int row_end) {
  switch (W.group) {
    case 32: return quant_row_tiles_n<Q, 32>(n, W, x, y, ldy, row_begin, row_end);
    case 64: return quant_row_tiles_n<Q, 64>(n, W, x, y, ldy, row_begin, row_end);
    case 128: return quant_row_tiles_n<Q, 128>(n, W, x, y, ldy, row_begin, row_end);
    case 256: return quant_row_tiles_n<Q, 256>(n, W, x, y, ldy, row_begin, row_end);
  }
  quant_row_tiles_n<Q, 0>(n, W, x, y, ldy, row_begin, row_end);
}

}  // namespace
}  // namespace llamafast::kernels
