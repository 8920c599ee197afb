// Decode (one token) with q4 / q8 weights on AVX512-VNNI: integer dot
// products over whole rows, so that a row costs a few instructions per 32
// bytes of weights and two threads can keep up with memory bandwidth (the
// float path of quant_rows.h converts every weight to fp32 and is bound by
// instructions at about half of it).
//
// The token's activations are prepared once per call:
//  - weight-only (q4, q8): rounded to int16 with one scale per 32 columns,
//    max|x| / 32767, so each one is off by at most 2^-16 of its group's
//    largest magnitude; vpdpwssd multiplies them with the weights widened to
//    int16. That is far below the weights' own rounding (int8: 2^-8 of the
//    row's largest) and inside the kernel tests' tolerance (1e-5 of
//    sum |x w|) unless one activation is hundreds of times its group's
//    others: those then keep 2^-16 of the outlier's size as error.
//  - int8 activations (8da4w): quantize_activations' int8 values, bit for bit;
//    vpdpbusd multiplies them with the unsigned nibbles; the integer group
//    sums are the reference's exactly.
// q4 weights come as nibbles u = q + 8; the 8 * sum(x) that makes up for the
// offset is computed once per token and group and is the starting value of the
// group's integer sum. Two groups of 32 share one 512-bit step: the
// activations are stored in the order in which a step unpacks the pair's 32
// bytes of nibbles (low nibbles of both groups, then the high ones), so the
// weights need only a shift and a mask.
//
// Applies to rows of whole 64-column pairs of 32-groups in llamafast's own q4
// layout (groups back to back, f16 scales in their own array), and to q8 with
// groups of a multiple of 32 columns (per-channel included); anything else
// (GGUF blocks, odd sizes, several tokens) takes the general kernels.
// Include only from a file compiled with the AVX512-VNNI flags.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/quant_int8.h"
#include "kernels/quant_view.h"
#include "kernels/x86/simd_quant_avx512.h"

namespace llamafast::kernels {
namespace {

// The tiles below are the decode's hot loops: fully unrolled, they keep the
// front end busy enough that where they fall against 64-byte boundaries moved
// decode speed by 10% between builds that changed only unrelated code (1.1B
// model, one thread: 37-44 tok/s, identical machine code). Each tile is
// therefore its own function, aligned to 64 bytes, so its layout is fixed.
#define LLAMAFAST_DECODE_TILE __attribute__((noinline, aligned(64)))

constexpr int kDecodeMaxCols = 16384;  // the prepared activations live on the stack
constexpr int kDecodeRows = 4;         // rows per tile: four independent accumulators

// One token's activations in the kernels' order (see the top of the file).
struct alignas(64) DecodeActivations {
  // int16 (weight-only) or int8 (8da4w) values; for q4, pair by pair in
  // unpack order.
  alignas(64) int16_t x[kDecodeMaxCols];
  // Weight-only: the scale of each 32 columns.
  alignas(64) float scale[kDecodeMaxCols / 32];
  // q4: the starting int32 lanes of each pair's sums (-8 * sum(x) of each
  // group in the first lane of the group's share of the vector).
  alignas(64) int32_t init[kDecodeMaxCols / 4];
  float token_scale = 0;  // 8da4w: quantize_activations' scale
};

inline bool decode_q4_applies(const QuantView& W) {
  return W.q4 && W.group == 32 && W.group_stride == 16 && W.row_stride == size_t(W.cols) / 2 &&
         W.f16_scales && W.scale_group_stride == 2 && W.cols % 64 == 0 && W.cols <= kDecodeMaxCols;
}

inline bool decode_q8_applies(const QuantView& W) {
  return !W.q4 && W.group % 32 == 0 && W.cols % 32 == 0 && W.cols <= kDecodeMaxCols;
}

// x16 = round(x / s) with s = max|x| / 32767 per 32 columns; a group of zeros
// has scale 0. Writes the two 16-column halves of every group to lo and hi.
LLAMAFAST_ALWAYS_INLINE float quantize_group16(const float* x, int16_t* lo, int16_t* hi) {
  const __m512 a = _mm512_loadu_ps(x), b = _mm512_loadu_ps(x + 16);
  const float m = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
  const __m512 inv = _mm512_set1_ps(m > 0.0f ? 32767.0f / m : 0.0f);
  // vpmovsdw saturates; |x| * inv rounds to at most 32767 anyway.
  _mm256_store_si256(reinterpret_cast<__m256i*>(lo),
                     _mm512_cvtsepi32_epi16(_mm512_cvtps_epi32(_mm512_mul_ps(a, inv))));
  _mm256_store_si256(reinterpret_cast<__m256i*>(hi),
                     _mm512_cvtsepi32_epi16(_mm512_cvtps_epi32(_mm512_mul_ps(b, inv))));
  return m / 32767.0f;
}

// Weight-only q8: natural column order.
void prepare_q8(const float* x, int cols, DecodeActivations& a) {
  for (int c = 0; c < cols; c += 32) a.scale[c / 32] = quantize_group16(x + c, a.x + c, a.x + c + 16);
}

// Weight-only q4: pair p's 64 values are [g0 0..15, g1 0..15 | g0 16..31, g1 16..31].
void prepare_q4(const float* x, int cols, DecodeActivations& a) {
  for (int p = 0; p < cols / 64; ++p) {
    int16_t* v = a.x + p * 64;
    a.scale[2 * p] = quantize_group16(x + p * 64, v, v + 32);
    a.scale[2 * p + 1] = quantize_group16(x + p * 64 + 32, v + 16, v + 48);
    // dword lanes 0-7 sum group 0's columns, 8-15 group 1's.
    const __m512i lo = _mm512_madd_epi16(_mm512_load_si512(v), _mm512_set1_epi16(1));
    const __m512i hi = _mm512_madd_epi16(_mm512_load_si512(v + 32), _mm512_set1_epi16(1));
    const __m512i both = _mm512_add_epi32(lo, hi);
    const int32_t s0 = _mm512_mask_reduce_add_epi32(0x00FF, both);
    const int32_t s1 = _mm512_mask_reduce_add_epi32(0xFF00, both);
    int32_t* init = a.init + p * 16;
    std::memset(init, 0, 64);
    init[0] = -8 * s0;
    init[8] = -8 * s1;
  }
}

// 8da4w: quantize_activations' int8 values; pair p's 64 bytes are
// [g0 0..15, g1 0..15, g0 16..31, g1 16..31].
void prepare_q4_int8(const float* x, int cols, DecodeActivations& a) {
  auto* q = reinterpret_cast<int8_t*>(a.x);
  a.token_scale = quantize_activations_simd<Avx512Quant>(x, cols, q);
  const __m512i ones = _mm512_set1_epi8(1);
  for (int p = 0; p < cols / 64; ++p) {
    const __m512i v = _mm512_load_si512(q + p * 64);
    // 16-byte quarters A0 A1 B0 B1 (groups A, B) become A0 B0 A1 B1.
    const __m512i u = _mm512_shuffle_i32x4(v, v, _MM_SHUFFLE(3, 1, 2, 0));
    _mm512_store_si512(q + p * 64, u);
    // Per-dword sums of 4 bytes: lanes 0-3 and 8-11 are group A's.
    const __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, u);
    int32_t* init = a.init + p * 16;
    std::memset(init, 0, 64);
    init[0] = -8 * _mm512_mask_reduce_add_epi32(0x0F0F, sums);
    init[4] = -8 * _mm512_mask_reduce_add_epi32(0xF0F0, sums);
  }
}

// The lanes of pair p's sums -> index of the scale (in a block of 16 groups)
// they take: weight-only [0-7: 2p, 8-15: 2p+1]; int8 [2p x4, 2p+1 x4] twice.
template <bool kInt8>
LLAMAFAST_ALWAYS_INLINE __m512i pair_lanes(int p) {
  const __m512i base = kInt8 ? _mm512_set_epi32(1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0)
                             : _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_add_epi32(base, _mm512_set1_epi32(2 * p));
}

// y[r0 .. r0 + R) for q4 rows. While a tile is summed, the next tile's rows
// (right after it in memory) are fetched in step: the hardware prefetchers
// start cold on every row of a few hundred bytes.
template <int R, bool kInt8>
LLAMAFAST_DECODE_TILE void q4_tile(const QuantView& W, int r0, const DecodeActivations& a,
                                   float* y, bool prefetch) {
  const int pairs = W.cols / 64;
  const uint8_t* w[R];
  const uint16_t* s[R];
  __m512 acc[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    w[r] = W.row_data(r0 + r);
    s[r] = reinterpret_cast<const uint16_t*>(W.row_scales(r0 + r));
    acc[r] = _mm512_setzero_ps();
  }
  const size_t ahead = R * W.row_stride, scale_ahead = R * W.scale_row_stride;
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const auto* xv = reinterpret_cast<const __m512i*>(a.x);
  const auto* init = reinterpret_cast<const __m512i*>(a.init);

  // One pair of groups, with the block's scales S (16 groups, f32).
  const auto pair = [&](int p, __m512i lanes, const __m512 (&S)[R]) LLAMAFAST_INLINE_LAMBDA {
    const __m512i i0 = _mm512_load_si512(init + p);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r] + p * 32));
      __m512i d;
      if constexpr (kInt8) {
        __m512i u = _mm512_broadcast_i64x4(bytes);
        u = _mm512_and_si512(_mm512_mask_srli_epi16(u, 0xFFFF0000u, u, 4), low4);
        d = _mm512_dpbusd_epi32(i0, u, _mm512_load_si512(xv + p));
      } else {
        const __m512i u = _mm512_cvtepu8_epi16(bytes);
        d = _mm512_dpwssd_epi32(i0, _mm512_and_si512(u, low4), _mm512_load_si512(xv + 2 * p));
        d = _mm512_dpwssd_epi32(d, _mm512_srli_epi16(u, 4), _mm512_load_si512(xv + 2 * p + 1));
      }
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_permutexvar_ps(lanes, S[r]), acc[r]);
    }
  };

  for (int p0 = 0; p0 < pairs; p0 += 8) {
    const int np = imin(8, pairs - p0);
    const __mmask16 groups = __mmask16((1u << (2 * np)) - 1);
    if (prefetch) {
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        // This block's 256 bytes of the next tile's rows, and its scales.
        const uint8_t* next = w[r] + ahead + p0 * 32;
        for (int b = 0; b < np * 32; b += 64) prefetch_weights(next + b);
        if (p0 % 16 == 0) prefetch_weights(s[r] + scale_ahead / 2 + 2 * p0);
      }
    }
    __m512 S[R];
    const __m512 xs = kInt8 ? _mm512_set1_ps(1.0f) : _mm512_maskz_loadu_ps(groups, a.scale + 2 * p0);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      S[r] = _mm512_mul_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(groups, s[r] + 2 * p0)), xs);
    }
    if (np == 8) {
#pragma GCC unroll 8
      for (int p = 0; p < 8; ++p) pair(p0 + p, pair_lanes<kInt8>(p), S);
    } else {
      for (int p = 0; p < np; ++p) pair(p0 + p, pair_lanes<kInt8>(p), S);
    }
  }
  const float out_scale = kInt8 ? a.token_scale : 1.0f;
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) y[r0 + r] = _mm512_reduce_add_ps(acc[r]) * out_scale;
}

// y[r0 .. r0 + R) for weight-only q8 rows: per 32 columns, an int16 dot
// product scaled by the activations' scale; per group, the weights' scale.
template <int R>
LLAMAFAST_DECODE_TILE void q8_tile(const QuantView& W, int r0, const DecodeActivations& a,
                                   float* y, bool prefetch) {
  const uint8_t* w[R];
  __m512 acc[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    w[r] = W.row_data(r0 + r);
    acc[r] = _mm512_setzero_ps();
  }
  const size_t ahead = R * W.row_stride;
  for (int g = 0; g < W.groups; ++g) {
    const int c0 = g * W.group, len = W.group_len(g);
    const size_t goff = size_t(g) * W.group_stride;
    __m512 gacc[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) gacc[r] = _mm512_setzero_ps();
    for (int c = 0; c < len; c += 32) {
      if (prefetch && c % 64 == 0) {
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) prefetch_weights(w[r] + ahead + goff + c);
      }
      const __m512i xv = _mm512_load_si512(a.x + c0 + c);
      const __m512 xs = _mm512_set1_ps(a.scale[(c0 + c) / 32]);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const __m512i wv = _mm512_cvtepi8_epi16(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r] + goff + c)));
        const __m512i d = _mm512_dpwssd_epi32(_mm512_setzero_si512(), wv, xv);
        gacc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), xs, gacc[r]);
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const __m512 scale = Avx512Quant::scale(W.scale_at(r0 + r, g), W.f16_scales);
      acc[r] = _mm512_fmadd_ps(gacc[r], scale, acc[r]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) y[r0 + r] = _mm512_reduce_add_ps(acc[r]);
}

// Rows [row_begin, row_end) of y = W x for one token. Returns false, having
// done nothing, when W is not a layout this kernel covers.
bool quant_decode(const WeightMatrix& M, const float* x, float* y, int row_begin, int row_end) {
  const QuantView W(M);
  const bool int8 = M.int8_activations;
  if (!(W.q4 ? decode_q4_applies(W) : !int8 && decode_q8_applies(W))) return false;

  DecodeActivations a;
  if (!W.q4) {
    prepare_q8(x, W.cols, a);
  } else if (int8) {
    prepare_q4_int8(x, W.cols, a);
  } else {
    prepare_q4(x, W.cols, a);
  }
  const auto rows = [&]<int R>(int r, bool prefetch) {
    if (!W.q4) return q8_tile<R>(W, r, a, y, prefetch);
    if (int8) return q4_tile<R, true>(W, r, a, y, prefetch);
    q4_tile<R, false>(W, r, a, y, prefetch);
  };
  int r = row_begin;
  for (; r + kDecodeRows <= row_end; r += kDecodeRows) {
    rows.template operator()<kDecodeRows>(r, r + 2 * kDecodeRows <= row_end);
  }
  for (; r < row_end; ++r) rows.template operator()<1>(r, false);
  return true;
}

}  // namespace
}  // namespace llamafast::kernels
