// Matmul for prefill (more than a dozen or so tokens; matmul_simd.h decides),
// which is bound by arithmetic. Weights are packed, a panel of 2 vectors' worth
// of rows at a time, into a column-major fp32 buffer P[c][j] = W[r0 + j, c];
// then for each column c one vector FMA per row vector and token does
//     y[t, r0 .. r0+2L) += x[t, c] * P[c][0 .. 2L)
// with x[t, c] broadcast from memory. A micro-tile holds 2 row vectors x T
// tokens (Isa::kPanelTokens) of accumulators in registers and needs no
// reduction across lanes, so the FMA units stay busy; packing (widening f16 /
// bf16, transposing by L x L register blocks) costs a small fraction of the
// FMAs once n is more than a few vectors' worth of tokens.
//
// Cache blocking: columns in blocks of kPanelCols (the packed panel, 32 KiB
// with AVX-512, stays in L1 while every token tile of the block reuses it);
// tokens in blocks of kPanelTokenBlock (their activations for one column
// block, <= 192 KiB, stay in L2 while all the panels pass over them). Column
// blocks after the first add onto the partial sums already in y.
// See simd_common.h for how and where to include it.
#pragma once

#include <cstddef>

#include "kernels/simd_common.h"

namespace llamafast::kernels {
namespace {

constexpr int kPanelCols = 256;
constexpr int kPanelTokenBlock = 192;  // multiple of every Isa::kPanelTokens

// P[c * 2L + j] = row j's column c for j < rows (<= 2L), c < k (<= kPanelCols);
// zero for the missing rows and for columns k .. k rounded up to L.
// load_row(j, c, count) returns columns c .. c+count (count <= L) of panel row
// j as fp32, zeros after: the weight type's widening (below) or the quantized
// weights' dequantization (quant_panels.h).
template <class Isa, class LoadRow>
LLAMAFAST_ALWAYS_INLINE void pack_panel(int rows, int k, float* P, const LoadRow& load_row) {
  using V = typename Isa::V;
  constexpr int L = Isa::kLanes;
  for (int g = 0; g < 2; ++g) {
    const int group_rows = imax(0, imin(L, rows - g * L));
    for (int c = 0; c < k; c += L) {
      const int count = imin(L, k - c);
      V v[L];
#pragma GCC unroll 16
      for (int j = 0; j < L; ++j) v[j] = j < group_rows ? load_row(g * L + j, c, count) : Isa::zero();
      Isa::transpose(v);  // v[i] = column c + i of these L rows
#pragma GCC unroll 16
      for (int i = 0; i < L; ++i) Isa::store(P + (c + i) * 2 * L + g * L, v[i]);
    }
  }
}

// y[t, 0 .. rows) (+)= sum_{c < k} P[c][0 .. rows) x[t, c] for T tokens.
template <class Isa, int T>
LLAMAFAST_ALWAYS_INLINE void panel_tile(const float* P, const float* x, size_t ldx, int k,
                                        float* y, size_t ldy, int rows, bool accumulate) {
  using V = typename Isa::V;
  constexpr int L = Isa::kLanes;
  V acc0[T], acc1[T];
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) acc0[t] = acc1[t] = Isa::zero();
  for (int c = 0; c < k; ++c) {
    const V w0 = Isa::load(P + c * 2 * L);
    const V w1 = Isa::load(P + c * 2 * L + L);
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) {
      const V xb = Isa::broadcast(x + t * ldx + c);
      acc0[t] = Isa::fma(w0, xb, acc0[t]);
      acc1[t] = Isa::fma(w1, xb, acc1[t]);
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) {
    float* yt = y + t * ldy;
    if (rows == 2 * L) {
      if (accumulate) {
        acc0[t] = Isa::add(acc0[t], Isa::load(yt));
        acc1[t] = Isa::add(acc1[t], Isa::load(yt + L));
      }
      Isa::store(yt, acc0[t]);
      Isa::store(yt + L, acc1[t]);
    } else {  // a partial panel at the end of the row range
      const int n0 = imin(rows, L), n1 = rows - n0;
      if (accumulate) acc0[t] = Isa::add(acc0[t], Isa::load_tail(yt, n0));
      Isa::store_tail(yt, acc0[t], n0);
      if (n1 > 0) {
        if (accumulate) acc1[t] = Isa::add(acc1[t], Isa::load_tail(yt + L, n1));
        Isa::store_tail(yt + L, acc1[t], n1);
      }
    }
  }
}

// All `nt` tokens against one packed panel; the last tile takes the remaining
// nt % T tokens (T - 1 tile sizes, each compiled with its own registers).
template <class Isa, int T = Isa::kPanelTokens>
void panel_token_tiles(const float* P, const float* x, size_t ldx, int nt, int k, float* y,
                       size_t ldy, int rows, bool accumulate) {
  int t = 0;
  for (; t + T <= nt; t += T) {
    panel_tile<Isa, T>(P, x + t * ldx, ldx, k, y + t * ldy, ldy, rows, accumulate);
  }
  if constexpr (T > 1) {
    if (nt > t) {
      panel_token_tiles<Isa, T - 1>(P, x + t * ldx, ldx, nt - t, k, y + t * ldy, ldy, rows,
                                    accumulate);
    }
  }
}

// y = x W^T over rows [row_begin, row_end) for any weight format:
// pack(r, rows, c0, k, P) packs rows r .. r+rows, columns c0 .. c0+k into P.
template <class Isa, class Pack>
void panel_matmul(const Pack& pack, int cols, const float* x, int n, float* y, size_t ldy,
                  int row_begin, int row_end) {
  constexpr int kPanelRows = 2 * Isa::kLanes;
  static_assert(kPanelCols % Isa::kLanes == 0 && kPanelTokenBlock % Isa::kPanelTokens == 0);
  // 32 KiB with AVX-512: stays in L1 (48 KiB on Zen 4/5, Intel since Ice Lake).
  alignas(64) float P[kPanelCols * kPanelRows];

  for (int t0 = 0; t0 < n; t0 += kPanelTokenBlock) {
    const int nt = imin(kPanelTokenBlock, n - t0);
    const float* xb = x + size_t(t0) * cols;
    float* yb = y + size_t(t0) * ldy;
    for (int c0 = 0; c0 < cols; c0 += kPanelCols) {
      const int k = imin(kPanelCols, cols - c0);
      for (int r = row_begin; r < row_end; r += kPanelRows) {
        const int rows = imin(kPanelRows, row_end - r);
        pack(r, rows, c0, k, P);
        panel_token_tiles<Isa>(P, xb + c0, size_t(cols), nt, k, yb + r, ldy, rows, c0 > 0);
      }
    }
  }
}

// panel_matmul over float weights (f32, f16, bf16), widened as they are packed.
template <class Isa, class Wt>
void panel_matmul(const Wt* W, int cols, const float* x, int n, float* y, size_t ldy,
                  int row_begin, int row_end) {
  const size_t ldw = size_t(cols);
  const auto pack = [&](int r, int rows, int c0, int k, float* P) {
    const Wt* w = W + r * ldw + c0;
    pack_panel<Isa>(rows, k, P, [&](int j, int c, int count) {
      return count == Isa::kLanes ? Isa::load(w + j * ldw + c) : Isa::load_tail(w + j * ldw + c, count);
    });
  };
  panel_matmul<Isa>(pack, cols, x, n, y, ldy, row_begin, row_end);
}

}  // namespace
}  // namespace llamafast::kernels
