// Quantized-weight operations for the AVX-512 tables, for the ISA-neutral
// templates quant_rows.h, quant_panels.h and quant_int8.h. Include only from
// files compiled with the AVX-512 flags (see simd_avx512.h).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/x86/simd_avx512.h"

namespace llamafast::kernels {
namespace {

struct Avx512Quant : Avx512 {
  // quant_rows.h tile: 4 rows x 4 tokens = 16 accumulators, 8 activation
  // vectors (low and high nibble columns), a table per row and two weights.
  static constexpr int kQuantRowTokens = 4;
  // quant_int8.h tile: 4 rows x 3 tokens = 12 int32 + 12 fp32 accumulators,
  // 3 activation vectors, a weight vector and the constants.
  static constexpr int kInt8Tokens = 3;

  // A group's scale, broadcast (f16 -> f32 is exact).
  static V scale(const std::byte* p, bool f16) {
    if (f16) {
      uint16_t h;
      std::memcpy(&h, p, sizeof h);
      return _mm512_cvtph_ps(_mm256_set1_epi16(short(h)));
    }
    float f;
    std::memcpy(&f, p, sizeof f);
    return _mm512_set1_ps(f);
  }

  // `count` (<= kLanes) bytes, zeros after; a masked load reads none past them.
  static __m128i load_bytes(const uint8_t* p, int count) {
    return count == kLanes ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(p))
                           : _mm_maskz_loadu_epi8(mask(count), p);
  }

  // q8: `count` int8 weights times the group's scale (broadcast in `scale`).
  static V q8(const uint8_t* p, int count, V scale) {
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(load_bytes(p, count))), scale);
  }

  // q4: a 16-entry table of (u - 8) * scale, indexed by the nibble itself:
  // vpermps reads only the low 4 bits of each index, so one instruction masks,
  // converts and scales a vector of nibbles.
  using Nibbles = V;
  static Nibbles nibbles(V scale) {
    const V values = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    return _mm512_mul_ps(values, scale);
  }
  // The low nibbles of `count` bytes (columns j ..) and their high nibbles
  // (columns h + j ..) as scaled weights.
  static void q4(const uint8_t* p, int count, Nibbles table, V& lo, V& hi) {
    const __m512i b = _mm512_cvtepu8_epi32(load_bytes(p, count));
    lo = _mm512_permutexvar_ps(b, table);
    hi = _mm512_permutexvar_ps(_mm512_srli_epi32(b, 4), table);
  }

  // max |x[i]| over i < n, the first step of quantize_activations.
  static float max_abs(const float* x, int n) {
    V m = zero();
    int i = 0;
    for (; i + kLanes <= n; i += kLanes) m = _mm512_max_ps(m, _mm512_abs_ps(load(x + i)));
    if (i < n) m = _mm512_max_ps(m, _mm512_abs_ps(load_tail(x + i, n - i)));
    return _mm512_reduce_max_ps(m);
  }

  // q[i] = clamp(nearbyint(x[i] * inv), -127, 127): the same product, and
  // vcvtps2dq rounds to nearest even as nearbyint does in the default mode,
  // so the result is bit for bit the scalar one.
  static void quantize(const float* x, int n, float inv, int8_t* q) {
    const V s = set1(inv);
    for (int i = 0; i < n; i += kLanes) {
      const int count = imin(kLanes, n - i);
      __m512i v = _mm512_cvtps_epi32(
          _mm512_mul_ps(count == kLanes ? load(x + i) : load_tail(x + i, count), s));
      v = _mm512_max_epi32(_mm512_min_epi32(v, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
      _mm512_mask_cvtepi32_storeu_epi8(q + i, mask(count), v);
    }
  }
};

// 512-bit integer dot products for quant_int8.h: 64 weights per instruction.
template <bool kVnni>
struct Int512 {
  using VI = __m512i;
  using VF = __m512;
  static constexpr int kBytes = 64;
  // q8 weights are made unsigned (w + 128) for vpdpbusd, whose sums do not
  // saturate; the caller subtracts 128 * sum(x). vpmaddubsw would saturate on
  // 255 * 127 * 2, so it takes |w| and x * sign(w) instead (at most 128 * 127 * 2).
  static constexpr int kQ8Offset = kVnni ? 128 : 0;

  static VI zero() { return _mm512_setzero_si512(); }
  static VI lane0(int32_t v) { return _mm512_zextsi128_si512(_mm_cvtsi32_si128(v)); }
  // a in lane 0, b in lane 8 (the first of each half), zeros elsewhere.
  static VI lane0_pair(int32_t a, int32_t b) {
    return _mm512_inserti32x4(lane0(a), _mm_cvtsi32_si128(b), 2);
  }

  // `count` (0 <= count <= kBytes) bytes, zeros after; masked loads read none
  // past them.
  static VI load(const void* p, int count) {
    return count == kBytes
               ? _mm512_loadu_si512(p)
               : _mm512_maskz_loadu_epi8(_cvtu64_mask64(count > 0 ? ~0ull >> (64 - count) : 0), p);
  }
  static __m256i load32(const void* p, int count) {
    return count == 32
               ? _mm256_loadu_si256(static_cast<const __m256i*>(p))
               : _mm256_maskz_loadu_epi8(_cvtu32_mask32(count > 0 ? ~0u >> (32 - count) : 0), p);
  }
  // [a[0 .. ca) | b[0 .. cb)], each half zero-padded to kBytes / 2.
  static VI load_halves(const int8_t* a, int ca, const int8_t* b, int cb) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(load32(a, ca)), load32(b, cb), 1);
  }
  // `count` (<= kBytes / 2) bytes of q4 weights -> [low nibbles | high nibbles].
  static VI nibbles(const uint8_t* p, int count) {
    const __m256i b = load32(p, count);
    const VI both = _mm512_inserti64x4(_mm512_castsi256_si512(b), b, 1);
    const VI shifts = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    return _mm512_and_si512(_mm512_srlv_epi16(both, shifts), _mm512_set1_epi8(0x0F));
  }

  // Two groups of 32 q4 weights (16 bytes each at p0, p1) ->
  // [low nibbles of p0 | high of p0 | low of p1 | high of p1].
  static VI nibbles_pair(const uint8_t* p0, const uint8_t* p1) {
    const __m256i b0 =
        _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p0)));
    const __m256i b1 =
        _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p1)));
    const VI both = _mm512_inserti64x4(_mm512_castsi256_si512(b0), b1, 1);
    const VI shifts = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004, 0, 0,
                                       0x0004000400040004, 0x0004000400040004, 0, 0);
    return _mm512_and_si512(_mm512_srlv_epi16(both, shifts), _mm512_set1_epi8(0x0F));
  }

  // acc + sums of 4 products u * x, u unsigned (q4 nibbles: <= 15).
  static VI dot_u(VI acc, VI u, VI x) {
    if constexpr (kVnni) {
      return _mm512_dpbusd_epi32(acc, u, x);
    } else {
      const VI pairs = _mm512_maddubs_epi16(u, x);
      return _mm512_add_epi32(acc, _mm512_madd_epi16(pairs, _mm512_set1_epi16(1)));
    }
  }
  // acc + sums of 4 products w * x for signed q8 weights (see kQ8Offset).
  static VI dot_q8(VI acc, VI w, VI x) {
    if constexpr (kVnni) {
      return dot_u(acc, _mm512_xor_si512(w, _mm512_set1_epi8(char(0x80))), x);
    } else {
      // No vpsignb in AVX-512: negate x where w < 0 under a mask.
      const VI signed_x =
          _mm512_mask_sub_epi8(x, _mm512_movepi8_mask(w), _mm512_setzero_si512(), x);
      return dot_u(acc, _mm512_abs_epi8(w), signed_x);
    }
  }

  static VF fzero() { return _mm512_setzero_ps(); }
  static VF to_float(VI v) { return _mm512_cvtepi32_ps(v); }
  static VF scale(const std::byte* p, bool f16) { return Avx512Quant::scale(p, f16); }
  // Two groups' scales: p0's in lanes 0-7, p1's in lanes 8-15.
  static VF scale_pair(const std::byte* p0, const std::byte* p1, bool f16) {
    if (f16) {
      uint16_t h0, h1;
      std::memcpy(&h0, p0, sizeof h0);
      std::memcpy(&h1, p1, sizeof h1);
      const __m256i halves = _mm256_inserti128_si256(
          _mm256_castsi128_si256(_mm_set1_epi16(short(h0))), _mm_set1_epi16(short(h1)), 1);
      return _mm512_cvtph_ps(halves);  // exact
    }
    float f0, f1;
    std::memcpy(&f0, p0, sizeof f0);
    std::memcpy(&f1, p1, sizeof f1);
    return _mm512_insertf32x8(_mm512_set1_ps(f0), _mm256_set1_ps(f1), 1);
  }
  static VF fma(VF a, VF b, VF c) { return _mm512_fmadd_ps(a, b, c); }
  static void hsum4(VF a, VF b, VF c, VF d, float* out) { Avx512::hsum4(a, b, c, d, out); }
};

}  // namespace
}  // namespace llamafast::kernels
