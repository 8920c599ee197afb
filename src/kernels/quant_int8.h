// Quantized matmul with int8 activations (WeightMatrix::int8_activations):
// each token is quantized once (quantize_activations' formula, bit for bit)
// into a stack buffer, then every row tile multiplies it with integer dot
// products (I::dot_u / I::dot_q8: vpdpbusd, or vpmaddubsw + vpmaddwd), summed
// exactly in int32 lanes per group and then scaled into fp32 lanes:
//   y[t, r] = s_t * sum_g scale(r, g) * sum_{c in g} q(r, c) xq(t, c).
// q4 nibbles u = q + 8 are unsigned operands as they are; the 8 * sum xq(t, g)
// that makes up for the offset is computed once per token and group and
// enters the group's sum as its starting value (so does 128 * sum xq for q8
// where I adds 128 to make q8 weights unsigned).
//
// Blocking: tokens in blocks of up to kMaxTokenBlock, columns in blocks of
// whole groups, so that one block of quantized activations fits kActBytes
// (32 KiB, L1). Decode (one token) is one block for rows up to 32 K columns;
// in prefill each block's weights, 4 rows at a time, stay in L1 while every
// token tile passes over them. Column blocks after the first add to y.
// See simd_common.h for how and where to include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/quant_view.h"
#include "kernels/simd_common.h"

namespace llamafast::kernels {
namespace {

constexpr int kActBytes = 32 * 1024;
constexpr int kMaxTokenBlock = 32;
constexpr int kMaxSegments = 2048;  // offset corrections per block (8 KiB)

// quantize_activations (kernels.h) with the ISA's vector operations.
template <class Q>
float quantize_activations_simd(const float* x, int n, int8_t* q) {
  const float m = Q::max_abs(x, n);
  if (m == 0.0f) {
    std::memset(q, 0, size_t(n));
    return 0.0f;
  }
  Q::quantize(x, n, 127.0f / m, q);
  return m / 127.0f;
}

// y[t, r0 + r] (+)= s[t] * sum over columns [c0, c0 + k) for an R x T tile.
// xq[t * ldq + c - c0] are the block's activations; corr[t * nseg + i] is the
// starting value of segment i (the part of a group inside the block).
template <class Q, class I, int R, int T>
LLAMAFAST_ALWAYS_INLINE void int8_tile(const QuantView& W, int r0, const int8_t* xq, int ldq,
                                       const int32_t* corr, int nseg, int c0, int k,
                                       const float* s, float* y, size_t ldy, bool accumulate) {
  using VI = typename I::VI;
  using VF = typename I::VF;
  constexpr int B = I::kBytes;
  VF fa[R][T];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) fa[r][t] = I::fzero();

  const bool corrected = W.q4 || I::kQ8Offset != 0;
  int seg = 0;
  for (int c = c0; c < c0 + k; ++seg) {
    const int g = c / W.group, gc = g * W.group;
    const int end = imin(c0 + k, gc + W.group_len(g));
    VI ia[R][T];
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      const VI init = corrected ? I::lane0(corr[t * nseg + seg]) : I::zero();
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) ia[r][t] = init;
    }
    const uint8_t* w[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) w[r] = W.group_data(r0 + r, g);
    const int8_t* xs = xq + (c - c0);
    if (!W.q4) {
      for (int a = c; a < end; a += B) {
        const int count = imin(B, end - a);
        VI xv[T];
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t) xv[t] = I::load(xs + t * ldq + (a - c), count);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const VI wv = I::load(w[r] + (a - gc), count);
#pragma GCC unroll 4
          for (int t = 0; t < T; ++t) ia[r][t] = I::dot_q8(ia[r][t], wv, xv[t]);
        }
      }
    } else {
      // A whole group (blocks hold whole q4 groups); byte j holds columns j
      // and h + j. Past the group's last column the activations are zero.
      const int len = end - c, h = (len + 1) / 2;
      for (int j = 0; j < h; j += B / 2) {
        const int lo = imin(B / 2, h - j), hi = imin(B / 2, len - h - j);
        VI xv[T];
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t) xv[t] = I::load_halves(xs + t * ldq + j, lo, xs + t * ldq + h + j, hi);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const VI wv = I::nibbles(w[r] + j, lo);
#pragma GCC unroll 4
          for (int t = 0; t < T; ++t) ia[r][t] = I::dot_u(ia[r][t], wv, xv[t]);
        }
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const float scale = Q::scale(W.scale_at(r0 + r, g), W.f16_scales);
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) fa[r][t] = I::fma(I::to_float(ia[r][t]), scale, fa[r][t]);
    }
    c = end;
  }

#pragma GCC unroll 4
  for (int t = 0; t < T; ++t) {
    // Four rows' sums at once; a lone row is added in the same order, so a
    // row's result does not depend on how the caller split the rows.
    float sums[4];
    if constexpr (R == 4) {
      I::hsum4(fa[0][t], fa[1][t], fa[2][t], fa[3][t], sums);
    } else {
      I::hsum4(fa[0][t], fa[0][t], fa[0][t], fa[0][t], sums);
    }
    float* yt = y + t * ldy + r0;
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) yt[r] = (accumulate ? yt[r] : 0.0f) + sums[r] * s[t];
  }
}

// All `nt` tokens of the block against rows r0 .. r0+R, T tokens at a time
// and the remainder with fewer.
template <class Q, class I, int R, int T = Q::kInt8Tokens>
void int8_token_tiles(const QuantView& W, int r0, const int8_t* xq, int ldq, const int32_t* corr,
                      int nseg, int nt, int c0, int k, const float* s, float* y, size_t ldy,
                      bool accumulate) {
  int t = 0;
  for (; t + T <= nt; t += T) {
    int8_tile<Q, I, R, T>(W, r0, xq + t * ldq, ldq, corr + t * nseg, nseg, c0, k, s + t,
                          y + t * ldy, ldy, accumulate);
  }
  if constexpr (T > 1) {
    if (t < nt) {
      int8_token_tiles<Q, I, R, T - 1>(W, r0, xq + t * ldq, ldq, corr + t * nseg, nseg, nt - t,
                                       c0, k, s + t, y + t * ldy, ldy, accumulate);
    }
  }
}

// Requires q8, or q4 with group <= kActBytes (matmul_quant.h checks).
template <class Q, class I>
void int8_matmul(const WeightMatrix& M, const float* x, int n, float* y, size_t ldy,
                 int row_begin, int row_end) {
  const QuantView W(M);
  const int cols = W.cols, G = W.group;
  // Column blocks of whole groups; a q8 group too long for the buffer is
  // split (a block then meets at most two groups).
  int tb = imin(n, kMaxTokenBlock), kc;
  if (G * tb <= kActBytes) {
    kc = G * imin(kActBytes / (G * tb), kMaxSegments / tb - 1);
  } else if (!W.q4) {
    kc = kActBytes / tb / 64 * 64;
  } else {
    tb = kActBytes / G;
    kc = G;
  }
  const bool corrected = W.q4 || I::kQ8Offset != 0;
  const int32_t offset = W.q4 ? 8 : I::kQ8Offset;

  alignas(64) int8_t xq[kActBytes];
  int32_t corr[kMaxSegments];
  float s[kMaxTokenBlock], inv[kMaxTokenBlock];
  for (int t0 = 0; t0 < n; t0 += tb) {
    const int nt = imin(tb, n - t0);
    const float* xb = x + size_t(t0) * cols;
    for (int t = 0; t < nt; ++t) {
      const float m = Q::max_abs(xb + size_t(t) * cols, cols);
      inv[t] = m > 0.0f ? 127.0f / m : 0.0f;
      s[t] = m / 127.0f;
    }
    for (int c0 = 0; c0 < cols; c0 += kc) {
      const int k = imin(kc, cols - c0);
      int nseg = 0;
      for (int c = c0; c < c0 + k; ++nseg) c = imin(c0 + k, (c / G + 1) * G);
      for (int t = 0; t < nt; ++t) {
        int8_t* q = xq + t * kc;
        Q::quantize(xb + size_t(t) * cols + c0, k, inv[t], q);
        if (!corrected) continue;
        int seg = 0;
        for (int c = c0; c < c0 + k; ++seg) {
          const int end = imin(c0 + k, (c / G + 1) * G);
          int32_t sum = 0;
          for (int i = c; i < end; ++i) sum += q[i - c0];
          corr[t * nseg + seg] = -offset * sum;
          c = end;
        }
      }
      float* yb = y + t0 * ldy;
      int r = row_begin;
      for (; r + 4 <= row_end; r += 4) {
        int8_token_tiles<Q, I, 4>(W, r, xq, kc, corr, nseg, nt, c0, k, s, yb, ldy, c0 > 0);
      }
      for (; r < row_end; ++r) {
        int8_token_tiles<Q, I, 1>(W, r, xq, kc, corr, nseg, nt, c0, k, s, yb, ldy, c0 > 0);
      }
    }
  }
}

}  // namespace
}  // namespace llamafast::kernels
