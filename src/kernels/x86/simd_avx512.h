// AVX-512 vector operations for the ISA-neutral kernel templates (see
// kernels/simd_common.h). Include only from files compiled with the AVX-512
// flags (names ending _avx512*.cpp).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/simd_types.h"

namespace llamafast::kernels {
namespace {

struct Avx512 {
  using V = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kRegisters = 32;  // zmm0-31
  // matmul_rows.h tile: 4 rows x up to 6 tokens = 24 accumulators, plus 6
  // activation vectors and one weight vector: 31 of the 32 zmm registers.
  static constexpr int kRowTileTokens = 6;
  // matmul_panels.h tile: 2 row vectors x 12 tokens = 24 accumulators, plus the
  // 2 weight vectors; activations are broadcast from memory inside the FMA.
  static constexpr int kPanelTokens = 12;

  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float a) { return _mm512_set1_ps(a); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V round(V a) {
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  // a * 2^n for integral n, the result a normal float: n added to a's exponent.
  static V ldexp(V a, V n) {
    const __m512i e = _mm512_slli_epi32(_mm512_cvtps_epi32(n), 23);
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(a), e));
  }

  static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  // f16 -> f32 is exact (F16C).
  static V load(const F16* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  // bf16 -> f32 is exact: the bits become the upper half of the float.
  static V load(const BF16* p) {
    const __m512i wide =
        _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
  }

  // The first `count` (0 < count <= kLanes) elements, zeros after. Masked loads
  // do not touch (or fault on) memory past the last element.
  static __mmask16 mask(int count) { return __mmask16((1u << count) - 1u); }
  static V load_tail(const float* p, int count) { return _mm512_maskz_loadu_ps(mask(count), p); }
  static V load_tail(const F16* p, int count) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask(count), p));
  }
  static V load_tail(const BF16* p, int count) {
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask(count), p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
  }

  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void store_tail(float* p, V v, int count) { _mm512_mask_storeu_ps(p, mask(count), v); }

  // In place: afterwards v[i][j] is what v[j][i] was.
  static void transpose(V (&v)[16]) {
    // Rows a, b -> per 128-bit lane L: lo = a[4L] b[4L] a[4L+1] b[4L+1],
    // hi = a[4L+2] b[4L+2] a[4L+3] b[4L+3].
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);
    }
    // u[4g + m], lane L = column 4L + m of rows 4g .. 4g+3.
    __m512 u[16];
    for (int g = 0; g < 16; g += 4) {
      for (int j = 0; j < 2; ++j) {
        const __m512d a = _mm512_castps_pd(t[g + j]), b = _mm512_castps_pd(t[g + 2 + j]);
        u[g + 2 * j] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
        u[g + 2 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
      }
    }
    // Column 4L + m = lane L of u[m], u[4 + m], u[8 + m], u[12 + m]: a 4 x 4
    // transpose of 128-bit lanes.
    for (int m = 0; m < 4; ++m) {
      const __m512 lo01 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x44);      // u[m].0 .1, u[4+m].0 .1
      const __m512 hi01 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xee);      // u[m].2 .3, u[4+m].2 .3
      const __m512 lo23 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x44);
      const __m512 hi23 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xee);
      v[m] = _mm512_shuffle_f32x4(lo01, lo23, 0x88);       // lanes .0 of all four
      v[4 + m] = _mm512_shuffle_f32x4(lo01, lo23, 0xdd);   // lanes .1
      v[8 + m] = _mm512_shuffle_f32x4(hi01, hi23, 0x88);   // lanes .2
      v[12 + m] = _mm512_shuffle_f32x4(hi01, hi23, 0xdd);  // lanes .3
    }
  }

  static float hmax(V v) { return _mm512_reduce_max_ps(v); }

  static float hsum(V v) {
    const __m256 v8 = fold(v);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v8), _mm256_extractf128_ps(v8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }

  // out[i] = sum of the lanes of v[i], for four vectors at once.
  static void hsum4(V a, V b, V c, V d, float* out) {
    const __m256 a8 = fold(a), b8 = fold(b), c8 = fold(c), d8 = fold(d);
    // [a0+a1 a2+a3 b0+b1 b2+b3 | a4+a5 a6+a7 b4+b5 b6+b7], same for c, d.
    const __m256 ab = _mm256_hadd_ps(a8, b8);
    const __m256 cd = _mm256_hadd_ps(c8, d8);
    // [a0..3 b0..3 c0..3 d0..3 | a4..7 b4..7 c4..7 d4..7]
    const __m256 abcd = _mm256_hadd_ps(ab, cd);
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1)));
  }

 private:
  // Lanes i and i+8 added: 16 partial sums -> 8.
  static __m256 fold(V v) {
    return _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  }
};

}  // namespace
}  // namespace llamafast::kernels
