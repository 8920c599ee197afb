// Matmuls with bf16 weights and bf16 activations (WeightMatrix::bf16_activations)
// on AVX512-BF16: vdpbf16ps adds the products of a pair of columns to each
// fp32 lane, 32 products per instruction where an fp32 FMA makes 16. Both
// factors are bf16 values, so each product is exact in fp32, as in the float
// kernels; only the order of the fp32 additions differs.
//
// Prefill follows matmul_panels.h's scheme, with pairs of columns where it has columns:
// a panel of 32 rows is packed so that 32-bit lane j of P[p] holds row j's
// columns 2p and 2p + 1 (the 16 x 16 fp32 transpose, applied to pairs), and
// each token's pair is broadcast inside the vdpbf16ps. The activations of a
// block of tokens and columns are converted to bf16 pairs once, before the
// panels pass over them.
// Compiled with the AVX-512 flags plus -mavx512bf16 (see src/CMakeLists.txt);
// runs only where cpu_features().avx512_bf16 (avx512vnni::matmul checks).
// GCC 12's AVX-512 intrinsics trip -W(maybe-)uninitialized: see kernels_avx512.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include <cstdint>

#include "kernels/isa_tables.h"
#include "kernels/matmul_panels.h"
#include "kernels/x86/simd_avx512.h"

namespace llamafast::kernels::avx512bf16 {
namespace {

constexpr int kPanelRows = 32;    // two vectors of 16 rows
constexpr int kPairs = 128;       // column pairs per block: P is 16 KiB, in L1
constexpr int kTokens = 12;       // tokens per tile: 24 accumulators + 2 weight vectors
constexpr int kTokenBlock = 144;  // tokens per block: their pairs (72 KiB) stay in L2
constexpr int kRowBlock = 256;    // rows per block: their outputs stay in L2

// The first `count` (<= 32) bf16 at p as a vector, zeros after.
__m512i load_bf16(const BF16* p, int count) {
  const __mmask32 m = count >= 32 ? ~__mmask32(0) : __mmask32((1u << count) - 1u);
  return _mm512_maskz_loadu_epi16(m, p);
}

// X[t * kPairs + p] = x[t, 2p] | x[t, 2p + 1] << 16 as bf16, for t < nt and
// the pairs of `cols` columns (the last pair's upper half 0 when cols is odd).
// Rounding to nearest is exact for the bf16 values the contract asks for.
void pack_activations(const float* x, size_t ldx, int nt, int cols, uint32_t* X) {
  for (int t = 0; t < nt; ++t) {
    const float* xt = x + size_t(t) * ldx;
    for (int c = 0; c < cols; c += 32) {
      const int left = cols - c;
      const __mmask16 lo = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1u);
      const __mmask16 hi = left >= 32 ? __mmask16(0xFFFF)
                           : left > 16 ? __mmask16((1u << (left - 16)) - 1u)
                                       : __mmask16(0);
      const __m512 a = _mm512_maskz_loadu_ps(lo, xt + c);
      const __m512 b = _mm512_maskz_loadu_ps(hi, xt + c + 16);
      _mm512_store_si512(X + size_t(t) * kPairs + size_t(c / 2), __m512i(_mm512_cvtne2ps_pbh(b, a)));
    }
  }
}

// y[t, 0 .. rows) (+)= the panel's rows against T tokens' pairs [0, pairs).
template <int T>
LLAMAFAST_ALWAYS_INLINE void tile(const float* P, const uint32_t* X, int pairs, float* y,
                                  size_t ldy, int rows, bool accumulate) {
  __m512 acc0[T], acc1[T];
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) acc0[t] = acc1[t] = _mm512_setzero_ps();
  for (int p = 0; p < pairs; ++p) {
    const auto w0 = __m512bh(_mm512_load_ps(P + p * kPanelRows));
    const auto w1 = __m512bh(_mm512_load_ps(P + p * kPanelRows + 16));
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) {
      const auto xb = __m512bh(_mm512_set1_epi32(int(X[t * kPairs + p])));
      acc0[t] = _mm512_dpbf16_ps(acc0[t], w0, xb);
      acc1[t] = _mm512_dpbf16_ps(acc1[t], w1, xb);
    }
  }
  const int n0 = imin(rows, 16), n1 = rows - n0;
  const __mmask16 m0 = __mmask16((1u << n0) - 1u), m1 = __mmask16((1u << n1) - 1u);
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) {
    float* yt = y + t * ldy;
    if (accumulate) {
      acc0[t] = _mm512_add_ps(acc0[t], _mm512_maskz_loadu_ps(m0, yt));
      acc1[t] = _mm512_add_ps(acc1[t], _mm512_maskz_loadu_ps(m1, yt + 16));
    }
    _mm512_mask_storeu_ps(yt, m0, acc0[t]);
    _mm512_mask_storeu_ps(yt + 16, m1, acc1[t]);
  }
}

// All nt tokens of the block against one panel; the last tile takes the
// remaining nt % T (each tile size compiled with its own registers).
template <int T = kTokens>
void token_tiles(const float* P, const uint32_t* X, int nt, int pairs, float* y, size_t ldy,
                 int rows, bool accumulate) {
  int t = 0;
  for (; t + T <= nt; t += T) {
    tile<T>(P, X + size_t(t) * kPairs, pairs, y + t * ldy, ldy, rows, accumulate);
  }
  if constexpr (T > 1) {
    if (nt > t) {
      token_tiles<T - 1>(P, X + size_t(t) * kPairs, nt - t, pairs, y + t * ldy, ldy, rows,
                         accumulate);
    }
  }
}

// Rows [r, r1) (at most a panel's) x columns [c0, c0 + 2 * kPairs) of the
// row-major bf16 matrix w into L2, a panel ahead of its packing: a panel's 32
// rows are 32 short runs far apart, which the hardware prefetchers do not
// follow (without this, packing waited on memory for a fifth of the kernel's
// time on one thread).
void prefetch_panel(const BF16* w, int cols, int r, int r1, int c0) {
  const int bytes = 2 * imin(2 * kPairs, cols - c0);
  for (int j = r; j < imin(r + kPanelRows, r1); ++j) {
    const char* row = reinterpret_cast<const char*>(w + size_t(j) * size_t(cols) + c0);
    for (int b = 0; b < bytes; b += 64) _mm_prefetch(row + b, _MM_HINT_T1);
  }
}

}  // namespace

// One token (decode) with bf16 activations: y[r] = dot(x, W[r, :]) along
// whole rows, 32 columns per vdpbf16ps where the widening row kernel
// (matmul_rows.h) needs two conversions and two FMAs. As in the panels, each
// product is exact in fp32 and only the order of the additions differs.
// (For fp32 activations, x split exactly into three bf16 parts took three
// vdpbf16ps per 32 columns and decoded slower than the widening kernel.)
namespace decode {

constexpr int kStep = 32;        // columns per vdpbf16ps
constexpr int kMaxCols = 16384;  // the packed activations live on the stack
constexpr int kTileRows = 4;

// y[0 .. R) for R rows of `cols` bf16 at w (row stride ldw) against x's pairs
// X. Every row sums its steps into two accumulators in the same order whatever
// R is, so that a row's result does not depend on the caller's row range.
// prefetch: also fetch the next R rows (right after these in memory), on
// which the hardware prefetchers would start cold.
template <int R>
LLAMAFAST_ALWAYS_INLINE void tile(const BF16* w, size_t ldw, int cols, const uint32_t* X,
                                  float* y, bool prefetch) {
  __m512 acc[2][R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) acc[0][r] = acc[1][r] = _mm512_setzero_ps();
  // A step of 32 columns; only the last, partial one is masked.
  const auto step = [&]<bool kTail>(int c, int j, __mmask32 m) LLAMAFAST_INLINE_LAMBDA {
    const auto xv = __m512bh(_mm512_load_si512(X + c / 2));
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const BF16* row = w + r * ldw + c;
      if (prefetch) prefetch_weights(row + R * ldw);
      const __m512i wv = kTail ? _mm512_maskz_loadu_epi16(m, row) : _mm512_loadu_si512(row);
      acc[j][r] = _mm512_dpbf16_ps(acc[j][r], __m512bh(wv), xv);
    }
  };
  int c = 0;
  for (; c + 2 * kStep <= cols; c += 2 * kStep) {
    step.template operator()<false>(c, 0, 0);
    step.template operator()<false>(c + kStep, 1, 0);
  }
  for (int j = 0; c < cols; c += kStep, j ^= 1) {
    const int left = cols - c;
    if (left >= kStep) {
      step.template operator()<false>(c, j, 0);
    } else {
      step.template operator()<true>(c, j, __mmask32((1u << left) - 1u));
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) y[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc[0][r], acc[1][r]));
}

}  // namespace decode

bool matmul_one_token(const WeightMatrix& W, const float* x, float* y, int row_begin,
                      int row_end) {
  using namespace decode;
  if (W.cols > kMaxCols) return false;
  alignas(64) uint32_t X[kMaxCols / 2];
  // x as bf16 pairs, zeros past cols to a whole step; pack_activations takes
  // at most 2 * kPairs columns a call.
  for (int c = 0; c < W.cols; c += 2 * kPairs) {
    pack_activations(x + c, 0, 1, imin(2 * kPairs, W.cols - c), X + c / 2);
  }
  const auto* w = static_cast<const BF16*>(W.data);
  const size_t ldw = size_t(W.cols);
  int r = row_begin;
  for (; r + kTileRows <= row_end; r += kTileRows) {
    // The next tile's rows even past row_end: see quant_decode_avx512.h.
    tile<kTileRows>(w + r * ldw, ldw, W.cols, X, y + r, r + 2 * kTileRows <= W.rows);
  }
  for (; r < row_end; ++r) tile<1>(w + r * ldw, ldw, W.cols, X, y + r, false);
  return true;
}

void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end) {
  const auto* w = static_cast<const BF16*>(W.data);
  const int cols = W.cols;
  const size_t ldw = size_t(cols);
  alignas(64) float P[kPairs * kPanelRows];
  alignas(64) uint32_t X[kTokenBlock * kPairs];

  for (int t0 = 0; t0 < n; t0 += kTokenBlock) {
    const int nt = imin(kTokenBlock, n - t0);
    // Rows in blocks whose outputs (<= 144 KiB) stay in L2 while the column
    // blocks add onto them.
    for (int r0 = row_begin; r0 < row_end; r0 += kRowBlock) {
      const int r1 = imin(row_end, r0 + kRowBlock);
      for (int c0 = 0; c0 < cols; c0 += 2 * kPairs) {
        const int k = imin(2 * kPairs, cols - c0), pairs = (k + 1) / 2;
        pack_activations(x + size_t(t0) * cols + c0, size_t(cols), nt, k, X);
        for (int r = r0; r < r1; r += kPanelRows) {
          const int rows = imin(kPanelRows, r1 - r);
          // Row j's pairs p .. p + count as 16 fp32-sized lanes (bit patterns).
          pack_panel<Avx512>(rows, pairs, P, [&](int j, int p, int count) {
            const BF16* row = w + size_t(r + j) * ldw + c0;
            return _mm512_castsi512_ps(load_bf16(row + 2 * p, imin(2 * count, k - 2 * p)));
          });
          if (r + kPanelRows < r1) {
            prefetch_panel(w, cols, r + kPanelRows, r1, c0);
          } else if (c0 + 2 * kPairs < cols) {
            prefetch_panel(w, cols, r0, r1, c0 + 2 * kPairs);
          } else if (r1 < row_end) {
            prefetch_panel(w, cols, r1, imin(row_end, r1 + kRowBlock), 0);
          }
          token_tiles(P, X, nt, pairs, y + size_t(t0) * ldy + r, size_t(ldy), rows, c0 > 0);
        }
      }
    }
  }
}

}  // namespace llamafast::kernels::avx512bf16
