// Decode (one token) with q4 / q8 weights on AVX512-VNNI: integer dot
// products over whole rows, so that a row costs a few instructions per 32
// bytes of weights and two threads can keep up with memory bandwidth (the
// float path of quant_rows.h converts every weight to fp32 and is bound by
// instructions at about half of it).
//
// The token's activations are prepared once per call, or once per input
// with a PreparedInput (prepared_input.h):
//  - weight-only (q4, q8): rounded to int16 with one scale per 32 columns,
//    max|x| / 32767, so each one is off by at most 2^-16 of its group's
//    largest magnitude. That is far below the weights' own rounding (int8:
//    2^-8 of the row's largest) and inside the kernel tests' tolerance (1e-5
//    of sum |x w|) unless one activation is hundreds of times its group's
//    others: those then keep 2^-16 of the outlier's size as error. q8
//    multiplies them with the weights widened to int16 (vpdpwssd); q4 splits
//    each exactly into a signed high and an unsigned low byte,
//    x = 256 * high + low, and multiplies both with the nibbles as bytes
//    (vpdpbusd, below).
//  - int8 activations (8da4w, 8da8w): quantize_activations' int8 values, bit
//    for bit; vpdpbusd multiplies them with the unsigned nibbles, or with q8
//    weights read as w + 128 (unsigned), whose 128 * sum(x) per group is
//    computed once per token and taken back out of the group's integer sum.
// Either way the integer sums of a group are exact.
// q4 weights come as nibbles u = q + 8; the -8 * sum(x) that makes up for the
// offset is computed once per token, per group, and added in fp32 with one
// FMA per row and 16 groups. Four groups of 32 (64 bytes of nibbles) make one
// 512-bit step whose integer sums keep each group in its own four lanes, so
// that a conversion to fp32 and an FMA are paid once per four groups; the
// activations are stored in the order in which the step unpacks the nibbles,
// so the weights need only a shift and masks. Where the tiles are bound by
// instructions rather than memory (an Intel Xeon), this made 8da4w decode
// about 7% faster than steps of two groups. The byte split takes weight-only
// q4 from 13 vector instructions per 64 bytes of a row (nibbles widened to
// int16 needed three shifts and three masks) to 11, against 8 for 8da4w
// (docs/benchmarks.md).
//
// Applies to rows of whole 64-column pairs of 32-groups in llamafast's own q4
// layout (groups back to back, f16 scales in their own array), and to q8 with
// groups of a multiple of 32 columns (per-channel included; with int8
// activations, of 64); anything else (GGUF blocks, odd sizes, several tokens)
// takes the general kernels.
// Include only from a file compiled with the AVX512-VNNI flags.
#pragma once

#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

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

constexpr int kDecodeMaxCols = 16384;  // longest row: a DecodeActivations holds one token of it
constexpr int kDecodeRows = 4;         // rows per tile: four independent accumulators

// One token's activations in the kernels' order (see the top of the file).
struct alignas(64) DecodeActivations {
  // q8: int16 values in column order. q4: bytes, step by step in unpack
  // order (prepare_q4, prepare_q4_int8), zeros after the last column up to a
  // whole step.
  alignas(64) int16_t x[kDecodeMaxCols];
  // Weight-only: the scale of each 32 columns.
  alignas(64) float scale[kDecodeMaxCols / 32];
  // q4: per 32 columns, -8 times the sum of their activations (integers, so
  // exact in fp32: at most 8 * 32 * 32767 in magnitude).
  alignas(64) float offset[kDecodeMaxCols / 32];
  // 8da8w: per group of q8 weights, -128 times the sum of its activations.
  alignas(64) int32_t q8_offset[kDecodeMaxCols / 64];
  float token_scale = 0;  // int8 activations: quantize_activations' scale
};

inline bool decode_q4_applies(const QuantView& W) {
  return W.q4 && W.group == 32 && W.group_stride == 16 && W.row_stride == size_t(W.cols) / 2 &&
         W.f16_scales && W.scale_group_stride == 2 && W.cols % 64 == 0 && W.cols <= kDecodeMaxCols;
}

inline bool decode_q8_applies(const QuantView& W) {
  return !W.q4 && W.group % 32 == 0 && W.cols % 32 == 0 && W.cols <= kDecodeMaxCols;
}

// 8da8w: 64 columns (one vector of bytes) at a time, none shared by two groups.
inline bool decode_q8_int8_applies(const QuantView& W) {
  return !W.q4 && W.group % 64 == 0 && W.cols % 64 == 0 && W.cols <= kDecodeMaxCols;
}

// x16 = round(x / s) with s = max|x| / 32767 per 32 columns; a group of zeros
// has scale 0. Returns s; lo and hi get columns 0-15 and 16-31 as int32
// lanes (|x16| <= 32767).
LLAMAFAST_ALWAYS_INLINE float quantize_group32(const float* x, __m512i& lo, __m512i& hi) {
  const __m512 a = _mm512_loadu_ps(x), b = _mm512_loadu_ps(x + 16);
  const float m = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
  const __m512 inv = _mm512_set1_ps(m > 0.0f ? 32767.0f / m : 0.0f);
  lo = _mm512_cvtps_epi32(_mm512_mul_ps(a, inv));
  hi = _mm512_cvtps_epi32(_mm512_mul_ps(b, inv));
  return m / 32767.0f;
}

// The same, stored as int16: the two 16-column halves of the group to lo and hi.
LLAMAFAST_ALWAYS_INLINE float quantize_group16(const float* x, int16_t* lo, int16_t* hi) {
  __m512i l, h;
  const float s = quantize_group32(x, l, h);
  // vpmovsdw saturates; |x| * inv rounds to at most 32767 anyway.
  _mm256_store_si256(reinterpret_cast<__m256i*>(lo), _mm512_cvtsepi32_epi16(l));
  _mm256_store_si256(reinterpret_cast<__m256i*>(hi), _mm512_cvtsepi32_epi16(h));
  return s;
}

// Weight-only q8: natural column order.
void prepare_q8(const float* x, int cols, DecodeActivations& a) {
  for (int c = 0; c < cols; c += 32) {
    a.scale[c / 32] = quantize_group16(x + c, a.x + c, a.x + c + 16);
  }
}

// q4 steps: 128 columns, four groups, 64 bytes of nibbles a row. Group k of
// the step is bytes 16k .. 16k+15, byte j holding its columns j (low nibble)
// and j + 16 (high), so dword lane L of the step's bytes holds columns of group
// L / 4 only, and an integer dot product over them sums into lanes of one
// group: four lanes a group, sixteen a vector. A row whose length is an odd
// number of 64 columns ends in a half step, padded with zero activations.
inline int q4_steps(int cols) { return (cols + 127) / 128; }

// Lane i of the steps' sums -> group 4 * step_in_block + i / 4 of a block of
// 16 groups, whose scales are lanes 0-15 of one vector.
LLAMAFAST_ALWAYS_INLINE __m512i step_lanes(int step_in_block) {
  const __m512i base = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
  return _mm512_add_epi32(base, _mm512_set1_epi32(4 * step_in_block));
}

// A step's offsets (DecodeActivations::offset: -8 times each group's sum of
// activations, which takes back the nibbles' offset of 8) from int32 lane
// sums that keep group k in lanes 4k .. 4k+3, as the tiles' sums do.
LLAMAFAST_ALWAYS_INLINE void store_step_offsets(__m512i lane_sums, float* offset) {
  __m512i t = _mm512_add_epi32(lane_sums, _mm512_shuffle_epi32(lane_sums, _MM_PERM_BADC));
  t = _mm512_add_epi32(t, _mm512_shuffle_epi32(t, _MM_PERM_CDAB));  // group totals in every lane
  const __m512i first = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512 totals = _mm512_cvtepi32_ps(_mm512_permutexvar_epi32(first, t));
  _mm_storeu_ps(offset, _mm512_castps512_ps128(_mm512_mul_ps(totals, _mm512_set1_ps(-8.0f))));
}

// Weight-only q4: a step's 256 bytes are the high bytes (int8) of its
// int16 activations, then their low bytes (uint8), each as prepare_q4_int8
// orders int8 activations: the low halves (columns 0-15) of the four
// groups, then the high halves.
void prepare_q4(const float* x, int cols, DecodeActivations& a) {
  const int groups = cols / 32;
  auto* out = reinterpret_cast<__m128i*>(a.x);
  for (int s = 0; s < q4_steps(cols); ++s) {
    __m128i* q = out + 16 * s;  // 16 quarters: high bytes of halves 0-15, 16-31; low bytes
    __m512i sum = _mm512_setzero_si512();
    for (int k = 0; k < 4; ++k) {
      const int g = 4 * s + k;
      __m512i lo = _mm512_setzero_si512(), hi = lo;  // zeros past the last group
      if (g < groups) a.scale[g] = quantize_group32(x + 32 * g, lo, hi);
      _mm_store_si128(q + k, _mm512_cvtepi32_epi8(_mm512_srai_epi32(lo, 8)));  // -128 .. 127
      _mm_store_si128(q + 4 + k, _mm512_cvtepi32_epi8(_mm512_srai_epi32(hi, 8)));
      _mm_store_si128(q + 8 + k, _mm512_cvtepi32_epi8(lo));  // x & 255
      _mm_store_si128(q + 12 + k, _mm512_cvtepi32_epi8(hi));
      // The group's lanes of the step's sums: 4k .. 4k+3.
      const __m512i s16 = _mm512_add_epi32(lo, hi);
      const __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(s16),
                                          _mm512_extracti64x4_epi64(s16, 1));
      const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
      sum = _mm512_mask_broadcast_i32x4(sum, __mmask16(0xF << (4 * k)), s4);
    }
    store_step_offsets(sum, a.offset + 4 * s);
  }
}

// 8da4w: quantize_activations' int8 values; a step's 128 bytes are the low
// halves (columns 0-15) of its four groups, then the high halves.
void prepare_q4_int8(const float* x, int cols, DecodeActivations& a) {
  auto* q = reinterpret_cast<int8_t*>(a.x);
  a.token_scale = quantize_activations_simd<Avx512Quant>(x, cols, q);
  std::memset(q + cols, 0, size_t(128 * q4_steps(cols) - cols));
  const __m512i ones = _mm512_set1_epi8(1);
  for (int s = 0; s < q4_steps(cols); ++s) {
    auto* v = reinterpret_cast<__m512i*>(q + 128 * s);
    // 16-byte quarters [A lo, A hi, B lo, B hi], [C lo, C hi, D lo, D hi].
    const __m512i v0 = _mm512_load_si512(v), v1 = _mm512_load_si512(v + 1);
    v[0] = _mm512_shuffle_i64x2(v0, v1, _MM_SHUFFLE(2, 0, 2, 0));
    v[1] = _mm512_shuffle_i64x2(v0, v1, _MM_SHUFFLE(3, 1, 3, 1));
    const __m512i sum =
        _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, v[0]), ones, v[1]);
    store_step_offsets(sum, a.offset + 4 * s);
  }
}

// 8da8w: quantize_activations' int8 values in column order, and each q8
// group's offset.
void prepare_q8_int8(const QuantView& W, const float* x, DecodeActivations& a) {
  auto* q = reinterpret_cast<int8_t*>(a.x);
  a.token_scale = quantize_activations_simd<Avx512Quant>(x, W.cols, q);
  const __m512i ones = _mm512_set1_epi8(1);
  for (int g = 0; g < W.groups; ++g) {
    __m512i sum = _mm512_setzero_si512();
    for (int c = g * W.group; c < g * W.group + W.group_len(g); c += 64) {
      sum = _mm512_dpbusd_epi32(sum, ones, _mm512_load_si512(q + c));
    }
    a.q8_offset[g] = -128 * _mm512_reduce_add_epi32(sum);
  }
}

// y[r0 .. r0 + R) for q4 rows, one step of 64 bytes a row at a time: two
// vpdpbusd (8da4w) or four (weight-only: high bytes, a shift by 8 bits, low
// bytes), then one conversion and one FMA per four groups. While a tile is
// summed, the next tile's rows (right after it in memory) are fetched in
// step: the hardware prefetchers start cold on every row of a few hundred
// bytes.
template <int R, bool kInt8>
LLAMAFAST_DECODE_TILE void q4_tile(const QuantView& W, int r0, const DecodeActivations& a,
                                   float* y, bool prefetch) {
  const int groups = W.cols / 32, steps = q4_steps(W.cols);
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

  // Step st with the block's scales S (16 groups, f32); `half`: only its
  // first 32 bytes are in the row.
  const auto step = [&](int st, __m512i lanes, const __m512 (&S)[R], bool half)
                        LLAMAFAST_INLINE_LAMBDA {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const uint8_t* p = w[r] + 64 * st;
      const __m512i v = half ? _mm512_maskz_loadu_epi8(0xFFFFFFFFull, p) : _mm512_loadu_si512(p);
      const __m512i n0 = _mm512_and_si512(v, low4);
      const __m512i n1 = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
      __m512i d;
      if constexpr (kInt8) {
        d = _mm512_dpbusd_epi32(_mm512_setzero_si512(), n0, _mm512_load_si512(xv + 2 * st));
        d = _mm512_dpbusd_epi32(d, n1, _mm512_load_si512(xv + 2 * st + 1));
      } else {
        // The nibbles against the high bytes (signed), times 256, then the
        // low bytes (unsigned, so they take vpdpbusd's unsigned operand).
        const __m512i* x4 = xv + 4 * st;
        d = _mm512_dpbusd_epi32(_mm512_setzero_si512(), n0, _mm512_load_si512(x4));
        d = _mm512_dpbusd_epi32(d, n1, _mm512_load_si512(x4 + 1));
        d = _mm512_slli_epi32(d, 8);
        d = _mm512_dpbusd_epi32(d, _mm512_load_si512(x4 + 2), n0);
        d = _mm512_dpbusd_epi32(d, _mm512_load_si512(x4 + 3), n1);
      }
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_permutexvar_ps(lanes, S[r]), acc[r]);
    }
  };

  for (int b = 0; b < steps; b += 4) {
    const int g0 = 4 * b, ng = imin(16, groups - g0), nsteps = imin(4, steps - b);
    const __mmask16 mask = __mmask16((1u << ng) - 1);
    if (prefetch) {
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        // This block's bytes of the next tile's rows, and its scales.
        const uint8_t* next = w[r] + ahead + 16 * g0;
        for (int off = 0; off < 16 * ng; off += 64) prefetch_weights(next + off);
        if (g0 % 32 == 0) prefetch_weights(s[r] + scale_ahead / 2 + g0);
      }
    }
    __m512 S[R];
    const __m512 xs = kInt8 ? _mm512_set1_ps(1.0f) : _mm512_maskz_loadu_ps(mask, a.scale + g0);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      S[r] = _mm512_mul_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, s[r] + g0)), xs);
    }
    if (ng == 16) {
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) step(b + i, step_lanes(i), S, false);
    } else {
      for (int i = 0; i < nsteps; ++i) step(b + i, step_lanes(i), S, ng - 4 * i == 2);
    }
    // The nibbles' offset of 8, for the block's groups at once.
    const __m512 offset = _mm512_maskz_loadu_ps(mask, a.offset + g0);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(S[r], offset, acc[r]);
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

// y[r0 .. r0 + R) for q8 rows with int8 activations (8da8w): per 64 columns,
// the weights made unsigned (w + 128: a flip of the sign bit) and one
// vpdpbusd; per group, an exact integer sum, less the offset that the 128
// added, then its scale. Three instructions per 64 bytes of a row.
template <int R>
LLAMAFAST_DECODE_TILE void q8_int8_tile(const QuantView& W, int r0, const DecodeActivations& a,
                                        float* y, bool prefetch) {
  const uint8_t* w[R];
  float acc[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    w[r] = W.row_data(r0 + r);
    acc[r] = 0.0f;
  }
  const size_t ahead = R * W.row_stride;
  const __m512i flip = _mm512_set1_epi8(char(0x80));
  const auto* xq = reinterpret_cast<const int8_t*>(a.x);
  for (int g = 0; g < W.groups; ++g) {
    const int c0 = g * W.group, len = W.group_len(g);
    const size_t goff = size_t(g) * W.group_stride;
    __m512i sum[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) sum[r] = _mm512_setzero_si512();
    for (int c = 0; c < len; c += 64) {
      if (prefetch) {
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) prefetch_weights(w[r] + ahead + goff + c);
      }
      const __m512i xv = _mm512_load_si512(xq + c0 + c);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const __m512i wv = _mm512_xor_si512(_mm512_loadu_si512(w[r] + goff + c), flip);
        sum[r] = _mm512_dpbusd_epi32(sum[r], wv, xv);
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      // |sum| <= 255 * 127 * 16384 < 2^31: exact in int32.
      const int32_t total = _mm512_reduce_add_epi32(sum[r]) + a.q8_offset[g];
      const float scale = _mm512_cvtss_f32(Avx512Quant::scale(W.scale_at(r0 + r, g), W.f16_scales));
      acc[r] = std::fma(float(total), scale, acc[r]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) y[r0 + r] = acc[r] * a.token_scale;
}

// Tags for PreparedInput: which of the forms above it holds.
constexpr char kPreparedQ8 = 0, kPreparedQ8Int8 = 0, kPreparedQ4 = 0, kPreparedQ4Int8 = 0;

// x in the form W's tiles read, from `prepared` if it holds it already, else
// prepared there (or in `local` when there is no PreparedInput).
const DecodeActivations& decode_activations(const QuantView& W, bool int8, const float* x,
                                            PreparedInput* prepared, DecodeActivations& local) {
  const void* form = !W.q4 ? (int8 ? &kPreparedQ8Int8 : &kPreparedQ8)
                           : (int8 ? &kPreparedQ4Int8 : &kPreparedQ4);
  if (prepared && prepared->holds(form, x, 1, W.cols)) {
    return *static_cast<const DecodeActivations*>(prepared->data(sizeof(DecodeActivations)));
  }
  DecodeActivations& a =
      prepared ? *new (prepared->data(sizeof(DecodeActivations))) DecodeActivations : local;
  if (!W.q4) {
    if (int8) {
      prepare_q8_int8(W, x, a);
    } else {
      prepare_q8(x, W.cols, a);
    }
  } else if (int8) {
    prepare_q4_int8(x, W.cols, a);
  } else {
    prepare_q4(x, W.cols, a);
  }
  if (prepared) prepared->remember(form, x, 1, W.cols);
  return a;
}

// Rows [row_begin, row_end) of y = W x for one token. Returns false, having
// done nothing, when W is not a layout this kernel covers.
bool quant_decode(const WeightMatrix& M, const float* x, float* y, int row_begin, int row_end,
                  PreparedInput* prepared) {
  const QuantView W(M);
  const bool int8 = M.int8_activations;
  if (!(W.q4 ? decode_q4_applies(W) : int8 ? decode_q8_int8_applies(W) : decode_q8_applies(W))) {
    return false;
  }

  DecodeActivations local;
  const DecodeActivations& a = decode_activations(W, int8, x, prepared, local);
  const auto rows = [&]<int R>(int r, bool prefetch) {
    if (!W.q4) return int8 ? q8_int8_tile<R>(W, r, a, y, prefetch) : q8_tile<R>(W, r, a, y, prefetch);
    if (int8) return q4_tile<R, true>(W, r, a, y, prefetch);
    q4_tile<R, false>(W, r, a, y, prefetch);
  };
  // Tiles prefetch the next tile's rows, past row_end too: a thread's next
  // claim of rows usually starts there (runtime/work_split.h), and otherwise
  // another thread reads them soon.
  int r = row_begin;
  for (; r + kDecodeRows <= row_end; r += kDecodeRows) {
    rows.template operator()<kDecodeRows>(r, r + 2 * kDecodeRows <= W.rows);
  }
  for (; r < row_end; ++r) rows.template operator()<1>(r, false);
  return true;
}

}  // namespace
}  // namespace llamafast::kernels
