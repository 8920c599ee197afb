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

#include <cmath>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

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
// starting value of segment i (the part of a group inside the block). kG > 0
// is the group size known at compile time: whole groups of it then run with
// constant trip counts and no partial loads.
template <class Q, class I, int R, int T, int kG>
LLAMAFAST_ALWAYS_INLINE void int8_tile(const QuantView& W, int r0, const int8_t* xq, int ldq,
                                       const int32_t* corr, int nseg, int c0, int k, const float* s,
                                       float* y, size_t ldy, bool accumulate, bool prefetch) {
  using VI = typename I::VI;
  using VF = typename I::VF;
  constexpr int B = I::kBytes;
  VF fa[R][T];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) fa[r][t] = I::fzero();

  const bool corrected = W.q4 || I::kQ8Offset != 0;
  // One segment: columns [c, c + len) of group g, c - gc of them into it.
  const uint8_t* wrow[R];
  const std::byte* srow[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    wrow[r] = W.row_data(r0 + r);
    srow[r] = W.row_scales(r0 + r);
  }
  NextTilePrefetch<R> next(W, wrow, srow);
  const size_t scale_bytes = W.f16_scales ? 2 : 4;

  const auto segment = [&](int seg, int g, int gc, int c, auto len_tag) LLAMAFAST_INLINE_LAMBDA {
    const int len = len_tag;
    const size_t goff = size_t(g) * W.group_stride, soff = size_t(g) * W.scale_group_stride;
    VI ia[R][T];
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      const VI init = corrected ? I::lane0(corr[t * nseg + seg]) : I::zero();
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) ia[r][t] = init;
    }
    const uint8_t* w[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) w[r] = wrow[r] + goff + (c - gc);
    if (prefetch) next.upto(goff + W.group_stride, soff + scale_bytes);
    const int8_t* xs = xq + (c - c0);
    if (!W.q4) {
      const auto piece = [&](int a, int count) LLAMAFAST_INLINE_LAMBDA {
        VI xv[T];
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t) xv[t] = I::load(xs + t * ldq + a, count);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const VI wv = I::load(w[r] + a, count);
#pragma GCC unroll 4
          for (int t = 0; t < T; ++t) ia[r][t] = I::dot_q8(ia[r][t], wv, xv[t]);
        }
      };
      int a = 0;
#pragma GCC unroll 8
      for (; a + B <= len; a += B) piece(a, B);
      if (a < len) piece(a, len - a);
    } else {
      // A whole group (blocks hold whole q4 groups); byte j holds columns j
      // and h + j. Past the group's last column the activations are zero.
      const int h = (len + 1) / 2;
      const auto piece = [&](int j, int lo, int hi) LLAMAFAST_INLINE_LAMBDA {
        VI xv[T];
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t)
          xv[t] = I::load_halves(xs + t * ldq + j, lo, xs + t * ldq + h + j, hi);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const VI wv = I::nibbles(w[r] + j, lo);
#pragma GCC unroll 4
          for (int t = 0; t < T; ++t) ia[r][t] = I::dot_u(ia[r][t], wv, xv[t]);
        }
      };
      int j = 0;
#pragma GCC unroll 8
      for (; j + B / 2 <= len - h; j += B / 2) piece(j, B / 2, B / 2);
      for (; j < h; j += B / 2) piece(j, imin(B / 2, h - j), imax(0, imin(B / 2, len - h - j)));
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const VF scale = I::scale(srow[r] + soff, W.f16_scales);
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) fa[r][t] = I::fma(I::to_float(ia[r][t]), scale, fa[r][t]);
    }
  };

  constexpr bool kPairs = kG == 32 && B == 64;
  // Two whole groups of 32 in one 512-bit vector: a group's 32 activations
  // (or 16 bytes of q4 nibbles) would fill only half of one, and the
  // per-group work (scales, conversion, correction) is shared by the pair.
  const auto pair = [&](int seg, int g, int gc) LLAMAFAST_INLINE_LAMBDA {
    if constexpr (kPairs) {
      const size_t goff = size_t(g) * W.group_stride, soff = size_t(g) * W.scale_group_stride;
      VI ia[R][T];
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        const VI init =
            corrected ? I::lane0_pair(corr[t * nseg + seg], corr[t * nseg + seg + 1]) : I::zero();
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) ia[r][t] = init;
      }
      if (prefetch) next.upto(goff + 2 * W.group_stride, soff + W.scale_group_stride + scale_bytes);
      const int8_t* xs = xq + (gc - c0);
      VI xv[T];
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) xv[t] = I::load(xs + t * ldq, B);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const uint8_t* w0 = wrow[r] + goff;
        const uint8_t* w1 = w0 + W.group_stride;
        if (W.q4) {
          const VI wv = I::nibbles_pair(w0, w1);
#pragma GCC unroll 4
          for (int t = 0; t < T; ++t) ia[r][t] = I::dot_u(ia[r][t], wv, xv[t]);
        } else {
          const VI wv = I::load_halves(reinterpret_cast<const int8_t*>(w0), B / 2,
                                       reinterpret_cast<const int8_t*>(w1), B / 2);
#pragma GCC unroll 4
          for (int t = 0; t < T; ++t) ia[r][t] = I::dot_q8(ia[r][t], wv, xv[t]);
        }
      }
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const VF scale =
            I::scale_pair(srow[r] + soff, srow[r] + soff + W.scale_group_stride, W.f16_scales);
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t) fa[r][t] = I::fma(I::to_float(ia[r][t]), scale, fa[r][t]);
      }
    }
  };
  const int g0 = c0 / W.group;
  for (int seg = 0; seg < nseg; ++seg) {
    const int g = g0 + seg, gc = g * W.group;
    const int c = imax(c0, gc), end = imin(c0 + k, gc + W.group_len(g));
    if constexpr (kPairs) {
      if (c == gc && gc + 2 * kG <= imin(c0 + k, W.cols)) {
        pair(seg, g, gc);
        ++seg;
        continue;
      }
    }
    if (kG > 0 && c == gc && end - c == kG) {
      segment(seg, g, gc, c, std::integral_constant<int, kG>{});
    } else {
      segment(seg, g, gc, c, end - c);
    }
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
    // An explicit fma: left to contraction, the compiler fused the multiply
    // and add in one instantiation and not in the other (AVX2, several
    // column blocks), so rows differed in the last bit with their tile.
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) yt[r] = accumulate ? std::fma(sums[r], s[t], yt[r]) : sums[r] * s[t];
  }
}

// All `nt` tokens of the block against rows r0 .. r0+R, T tokens at a time
// and the remainder with fewer.
template <class Q, class I, int R, int kG, int T = Q::kInt8Tokens>
void int8_token_tiles(const QuantView& W, int r0, const int8_t* xq, int ldq, const int32_t* corr,
                      int nseg, int nt, int c0, int k, const float* s, float* y, size_t ldy,
                      bool accumulate, bool prefetch) {
  int t = 0;
  for (; t + T <= nt; t += T) {
    int8_tile<Q, I, R, T, kG>(W, r0, xq + t * ldq, ldq, corr + t * nseg, nseg, c0, k, s + t,
                              y + t * ldy, ldy, accumulate, prefetch && t == 0);
  }
  if constexpr (T > 1) {
    if (t < nt) {
      int8_token_tiles<Q, I, R, kG, T - 1>(W, r0, xq + t * ldq, ldq, corr + t * nseg, nseg, nt - t,
                                           c0, k, s + t, y + t * ldy, ldy, accumulate,
                                           prefetch && t == 0);
    }
  }
}

// Requires q8, or q4 with group <= kActBytes (matmul_quant.h checks); kG as
// for int8_tile.
template <class Q, class I, int kG>
void int8_matmul(const WeightMatrix& M, const float* x, int n, float* y, size_t ldy, int row_begin,
                 int row_end) {
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
        int8_token_tiles<Q, I, 4, kG>(W, r, xq, kc, corr, nseg, nt, c0, k, s, yb, ldy, c0 > 0,
                                      r + 8 <= row_end);
      }
      for (; r < row_end; ++r) {
        int8_token_tiles<Q, I, 1, kG>(W, r, xq, kc, corr, nseg, nt, c0, k, s, yb, ldy, c0 > 0,
                                      false);
      }
    }
  }
}

}  // namespace
}  // namespace llamafast::kernels
