// AVX2 + FMA + F16C vector operations for the ISA-neutral kernel templates
// (see kernels/simd_common.h). Include only from files compiled with the AVX2
// flags (names ending _avx2*.cpp).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/simd_types.h"

namespace llamafast::kernels {
namespace {

struct Avx2 {
  using V = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kRegisters = 16;  // ymm0-15
  // matmul_rows.h tile: 4 rows x up to 3 tokens = 12 accumulators, plus 3
  // activation vectors and one weight vector: all 16 ymm registers.
  static constexpr int kRowTileTokens = 3;
  // matmul_panels.h tile: 2 row vectors x 6 tokens = 12 accumulators, plus 2
  // weight vectors and one broadcast activation.
  static constexpr int kPanelTokens = 6;

  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float a) { return _mm256_set1_ps(a); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V round(V a) {
    return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  // a * 2^n for integral n, the result a normal float: n added to a's exponent.
  static V ldexp(V a, V n) {
    const __m256i e = _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23);
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(a), e));
  }

  static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  // f16 -> f32 is exact (F16C).
  static V load(const F16* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  // bf16 -> f32 is exact: the bits become the upper half of the float.
  static V load(const BF16* p) {
    const __m256i wide =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }

  // The first `count` (0 < count <= kLanes) elements, zeros after, touching no
  // memory past the last element: vmaskmovps suppresses faults on masked-out
  // lanes; AVX2 has no 16-bit masked load, so those go through a small copy.
  static __m256i mask(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V load_tail(const float* p, int count) { return _mm256_maskload_ps(p, mask(count)); }
  template <class Half>
  static V load_tail(const Half* p, int count) {
    Half tmp[kLanes] = {};
    for (int i = 0; i < count; ++i) tmp[i] = p[i];
    return load(tmp);
  }

  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void store_tail(float* p, V v, int count) { _mm256_maskstore_ps(p, mask(count), v); }

  // In place: afterwards v[i][j] is what v[j][i] was.
  static void transpose(V (&v)[8]) {
    // Rows a, b -> per 128-bit lane L: lo = a[4L] b[4L] a[4L+1] b[4L+1],
    // hi = a[4L+2] b[4L+2] a[4L+3] b[4L+3].
    __m256 t[8];
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
    }
    // u[4g + m], lane L = column 4L + m of rows 4g .. 4g+3.
    __m256 u[8];
    for (int g = 0; g < 8; g += 4) {
      for (int j = 0; j < 2; ++j) {
        const __m256d a = _mm256_castps_pd(t[g + j]), b = _mm256_castps_pd(t[g + 2 + j]);
        u[g + 2 * j] = _mm256_castpd_ps(_mm256_unpacklo_pd(a, b));
        u[g + 2 * j + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(a, b));
      }
    }
    // Column 4L + m = lane L of u[m] then lane L of u[4 + m].
    for (int m = 0; m < 4; ++m) {
      v[m] = _mm256_permute2f128_ps(u[m], u[4 + m], 0x20);
      v[4 + m] = _mm256_permute2f128_ps(u[m], u[4 + m], 0x31);
    }
  }

  static float hmax(V v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
  }

  static float hsum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }

  // out[i] = sum of the lanes of v[i], for four vectors at once.
  static void hsum4(V a, V b, V c, V d, float* out) {
    // [a0+a1 a2+a3 b0+b1 b2+b3 | a4+a5 a6+a7 b4+b5 b6+b7], same for c, d.
    const __m256 ab = _mm256_hadd_ps(a, b);
    const __m256 cd = _mm256_hadd_ps(c, d);
    // [a0..3 b0..3 c0..3 d0..3 | a4..7 b4..7 c4..7 d4..7]
    const __m256 abcd = _mm256_hadd_ps(ab, cd);
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1)));
  }
};

}  // namespace
}  // namespace llamafast::kernels
