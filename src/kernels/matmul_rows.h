// Matmul as dot products along weight rows, for decode (n == 1) and a few
// tokens (up to Isa::kRowTileTokens per pass; matmul_simd.h decides when):
// y[t, r] = dot(x[t, :], W[r, :]) with both operands contiguous, so vector
// lanes hold partial sums, added across lanes at the end. This work is bound by
// memory bandwidth: each weight row is streamed once per pass, straight from W
// and widened to fp32 in registers, 4 rows at a time.
// See simd_common.h for how and where to include it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/simd_common.h"

namespace llamafast::kernels {
namespace {

constexpr int kRowTile = 4;  // rows per tile

// acc[r][t] += W[r, c..c+L) * x[t, c..c+L) for one vector of columns; with
// kTail only the first `count` (< L) columns are read.
template <class Isa, int R, int T, bool kTail, class Wt>
LLAMAFAST_ALWAYS_INLINE void row_step(typename Isa::V (&acc)[R][T], const Wt* w, size_t ldw,
                                      const float* x, size_t ldx, int count) {
  using V = typename Isa::V;
  V xv[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    xv[t] = kTail ? Isa::load_tail(x + t * ldx, count) : Isa::load(x + t * ldx);
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const V wv = kTail ? Isa::load_tail(w + r * ldw, count) : Isa::load(w + r * ldw);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[r][t] = Isa::fma(wv, xv[t], acc[r][t]);
  }
}

// y[t * ldy + r] = sum_{c < k} W[r, c] x[t, c] for an R x T tile. The first
// `head` columns are summed in a partial step of their own (see row_tiles). U
// independent accumulator sets along the columns lengthen the chains of
// independent FMAs when R * T alone is too few to hide their latency.
// prefetch_ahead > 0 (elements) also prefetches, for every weight read, the
// one that far ahead.
template <class Isa, int U, int R, int T, class Wt>
LLAMAFAST_ALWAYS_INLINE void row_tile(const Wt* w, size_t ldw, const float* x, size_t ldx, int k,
                                      int head, float* y, size_t ldy, size_t prefetch_ahead) {
  using V = typename Isa::V;
  constexpr int L = Isa::kLanes;
  V acc[U][R][T];
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u)
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) acc[u][r][t] = Isa::zero();

  int c = head;
  if (c > 0) row_step<Isa, R, T, true>(acc[0], w, ldw, x, ldx, c);

  for (; c + U * L <= k; c += U * L) {
    if (prefetch_ahead > 0) {
      constexpr int kStepBytes = U * L * int(sizeof(Wt));
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int b = 0; b < kStepBytes; b += 64) {
          prefetch_weights(reinterpret_cast<const char*>(w + r * ldw + c + prefetch_ahead) + b);
        }
    }
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      row_step<Isa, R, T, false>(acc[u], w + c + u * L, ldw, x + c + u * L, ldx, L);
    }
  }
  for (; c + L <= k; c += L) row_step<Isa, R, T, false>(acc[0], w + c, ldw, x + c, ldx, L);
  if (c < k) row_step<Isa, R, T, true>(acc[0], w + c, ldw, x + c, ldx, k - c);

#pragma GCC unroll 4
  for (int u = 1; u < U; ++u)
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) acc[0][r][t] = Isa::add(acc[0][r][t], acc[u][r][t]);

#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    float* yt = y + t * ldy;
    if constexpr (R == 4) {
      Isa::hsum4(acc[0][0][t], acc[0][1][t], acc[0][2][t], acc[0][3][t], yt);
    } else {
      // The same order of additions as a row in a 4-row tile, so that a row's
      // result does not depend on how the caller split the rows.
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        float sums[4];
        Isa::hsum4(acc[0][r][t], acc[0][r][t], acc[0][r][t], acc[0][r][t], sums);
        yt[r] = sums[0];
      }
    }
  }
}

// How many columns come before the first weight of row 0 that starts a
// vector-aligned block; the main loop then never loads a vector that straddles
// two cache lines (which costs ~40% of the bandwidth for fp32 with a few
// tokens). Rows whose byte length is a multiple of the vector size all share
// row 0's alignment. Taken from row 0 rather than from each tile's first row
// so that the order of additions, and so the result, of every row is the same
// whatever row range the caller asks for.
template <class Isa, class Wt>
int aligned_head(const Wt* W, int cols) {
  constexpr size_t kVecBytes = Isa::kLanes * sizeof(Wt);
  const size_t misalign = reinterpret_cast<uintptr_t>(W) % kVecBytes;
  if (misalign % sizeof(Wt) != 0) return 0;  // unaligned elements: no help
  return imin(cols, int((kVecBytes - misalign) % kVecBytes / sizeof(Wt)));
}

// Rows [row_begin, row_end) for T tokens (x: [T, cols], y: [T, ldy]).
// The next tile's rows follow the current ones in memory and are prefetched
// while these are summed: a row of 2048 16-bit weights is one 4 KiB page, and
// the hardware prefetchers, which stop at page boundaries, would otherwise
// start cold on every row. That goes on past row_end (up to the matrix's
// `rows`): a thread's next claim of rows usually starts there
// (runtime/work_split.h), and otherwise another thread reads them soon.
template <class Isa, int T, class Wt>
void row_tiles(const Wt* W, int rows, int cols, const float* x, float* y, size_t ldy,
               int row_begin, int row_end) {
  constexpr int U = T == 1 ? 2 : 1;  // 4 rows x 2: 8 independent chains for decode
  const size_t ldw = size_t(cols);
  const int head = aligned_head<Isa>(W, cols);
  int r = row_begin;
  for (; r + kRowTile <= row_end; r += kRowTile) {
    const bool more = r + 2 * kRowTile <= rows;
    row_tile<Isa, U, kRowTile, T>(W + r * ldw, ldw, x, ldw, cols, head, y + r, ldy,
                                  more ? kRowTile * ldw : 0);
  }
  for (; r < row_end; ++r) {
    row_tile<Isa, U, 1, T>(W + r * ldw, ldw, x, ldw, cols, head, y + r, ldy, 0);
  }
}

// row_tiles for a token count known only at run time, 1 <= n <= T.
template <class Isa, class Wt, int T = Isa::kRowTileTokens>
void row_tiles_n(int n, const Wt* W, int rows, int cols, const float* x, float* y, size_t ldy,
                 int row_begin, int row_end) {
  if (n == T) return row_tiles<Isa, T>(W, rows, cols, x, y, ldy, row_begin, row_end);
  if constexpr (T > 1) {
    row_tiles_n<Isa, Wt, T - 1>(n, W, rows, cols, x, y, ldy, row_begin, row_end);
  }
}

}  // namespace
}  // namespace llamafast::kernels
