// Quantized-weight operations for the AVX2 + FMA + F16C tables (with and
// without AVX-VNNI), for the ISA-neutral templates quant_rows.h,
// quant_panels.h and quant_int8.h.
// Include only from files compiled with the AVX2 flags (see simd_avx2.h).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/simd_common.h"
#include "kernels/x86/simd_avx2.h"

namespace llamafast::kernels {
namespace {

// The first `count` (<= 16) bytes at p, zeros after, without reading past
// them (AVX2 has no masked byte loads). Out of line: only ragged groups take
// it, and its buffer would otherwise push the kernels' vectors to the stack.
__attribute__((noinline)) __m128i copy_bytes(const void* p, int count) {
  alignas(16) uint8_t tmp[16] = {};
  std::memcpy(tmp, p, size_t(count));
  return _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
}

struct Avx2Quant : Avx2 {
  // quant_rows.h tile: 4 rows x 1 token. Each q4 row needs two constants of
  // its own (below), so more tokens would spill the 16 ymm registers.
  static constexpr int kQuantRowTokens = 1;
  // quant_int8.h tile: 4 rows x 1 token = 4 int32 + 4 fp32 accumulators, with
  // the weights, activations and constants.
  static constexpr int kInt8Tokens = 1;

  // A group's scale, broadcast (f16 -> f32 is exact).
  static V scale(const std::byte* p, bool f16) {
    if (f16) {
      uint16_t h;
      std::memcpy(&h, p, sizeof h);
      return _mm256_cvtph_ps(_mm_set1_epi16(short(h)));
    }
    float f;
    std::memcpy(&f, p, sizeof f);
    return _mm256_set1_ps(f);
  }

  // `count` (<= kLanes) bytes, zeros after; no byte past them is read.
  static __m128i load_bytes(const uint8_t* p, int count) {
    if (count == kLanes) return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    return copy_bytes(p, count);
  }

  // q8: `count` int8 weights times the group's scale (broadcast in `scale`).
  static V q8(const uint8_t* p, int count, V scale) {
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(load_bytes(p, count))), scale);
  }

  // q4: (u - 8) * scale = fma(u, scale, -8 * scale), one rounding like q8's.
  struct Nibbles {
    V scale, offset;
  };
  static Nibbles nibbles(V scale) { return {scale, _mm256_mul_ps(scale, _mm256_set1_ps(-8.0f))}; }
  // The low nibbles of `count` bytes (columns j ..) and their high nibbles
  // (columns h + j ..) as scaled weights.
  static void q4(const uint8_t* p, int count, const Nibbles& n, V& lo, V& hi) {
    const __m256i b = _mm256_cvtepu8_epi32(load_bytes(p, count));
    const __m256i low = _mm256_and_si256(b, _mm256_set1_epi32(0x0F));
    lo = _mm256_fmadd_ps(_mm256_cvtepi32_ps(low), n.scale, n.offset);
    hi = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(b, 4)), n.scale, n.offset);
  }

  // max |x[i]| over i < n, the first step of quantize_activations.
  static float max_abs(const float* x, int n) {
    const V sign = _mm256_set1_ps(-0.0f);
    V m = zero();
    int i = 0;
    for (; i + kLanes <= n; i += kLanes) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, load(x + i)));
    if (i < n) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, load_tail(x + i, n - i)));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
  }

  // q[i] = clamp(nearbyint(x[i] * inv), -127, 127): the same product, and
  // vcvtps2dq rounds to nearest even as nearbyint does in the default mode,
  // so the result is bit for bit the scalar one.
  static void quantize(const float* x, int n, float inv, int8_t* q) {
    const V s = set1(inv);
    for (int i = 0; i < n; i += kLanes) {
      const int count = imin(kLanes, n - i);
      __m256i v = _mm256_cvtps_epi32(
          _mm256_mul_ps(count == kLanes ? load(x + i) : load_tail(x + i, count), s));
      v = _mm256_max_epi32(_mm256_min_epi32(v, _mm256_set1_epi32(127)), _mm256_set1_epi32(-127));
      const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
      const __m128i b = _mm_packs_epi16(w, w);
      if (count == kLanes) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), b);
      } else {
        int8_t tmp[16];
        _mm_storeu_si128(reinterpret_cast<__m128i*>(tmp), b);
        std::memcpy(q + i, tmp, size_t(count));
      }
    }
  }
};

// How u8 x s8 products are summed, four at a time, into int32 lanes.
enum class DotKind {
  maddubs,  // AVX2 vpmaddubsw + vpmaddwd: pairs saturate at int16, see below
  vnni,     // AVX-VNNI vpdpbusd (VEX encoded: Alder Lake, Zen 5)
};

// 256-bit integer dot products for quant_int8.h: 32 weights per instruction.
template <DotKind kDot>
struct Int256 {
  using VI = __m256i;
  using VF = __m256;
  static constexpr int kBytes = 32;
  // q8 weights are made unsigned (w + 128) for vpdpbusd, whose sums do not
  // saturate; the caller subtracts 128 * sum(x). vpmaddubsw would saturate on
  // 255 * 127 * 2, so it takes |w| and x * sign(w) instead (at most 128 * 127 * 2).
  static constexpr int kQ8Offset = kDot == DotKind::maddubs ? 0 : 128;

  static VI zero() { return _mm256_setzero_si256(); }
  static VI lane0(int32_t v) { return _mm256_zextsi128_si256(_mm_cvtsi32_si128(v)); }

  static __m128i load16(const void* p, int count) {
    if (count == 16) return _mm_loadu_si128(static_cast<const __m128i*>(p));
    return copy_bytes(p, count);
  }
  // `count` (<= kBytes) bytes, zeros after.
  static VI load(const void* p, int count) {
    if (count == kBytes) return _mm256_loadu_si256(static_cast<const __m256i*>(p));
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(copy_bytes(p, imin(count, 16))),
        copy_bytes(static_cast<const uint8_t*>(p) + 16, imax(0, count - 16)), 1);
  }
  // [a[0 .. ca) | b[0 .. cb)], each half zero-padded to kBytes / 2.
  static VI load_halves(const int8_t* a, int ca, const int8_t* b, int cb) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(load16(a, ca)), load16(b, cb), 1);
  }
  // `count` (<= kBytes / 2) bytes of q4 weights -> [low nibbles | high nibbles].
  static VI nibbles(const uint8_t* p, int count) {
    // Both halves hold the bytes; the upper one takes them shifted.
    const VI both =
        count == 16
            ? _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))
            : _mm256_broadcastsi128_si256(copy_bytes(p, count));
    const VI v = _mm256_blend_epi32(both, _mm256_srli_epi16(both, 4), 0xF0);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
  }

  // acc + sums of 4 products u * x, u unsigned (q4 nibbles: <= 15).
  static VI dot_u(VI acc, VI u, VI x) {
    if constexpr (kDot == DotKind::vnni) {
      return _mm256_dpbusd_avx_epi32(acc, u, x);
    } else {
      const __m256i pairs = _mm256_maddubs_epi16(u, x);
      return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
    }
  }
  // acc + sums of 4 products w * x for signed q8 weights (see kQ8Offset).
  static VI dot_q8(VI acc, VI w, VI x) {
    if constexpr (kDot == DotKind::maddubs) {
      return dot_u(acc, _mm256_abs_epi8(w), _mm256_sign_epi8(x, w));
    } else {
      return dot_u(acc, _mm256_xor_si256(w, _mm256_set1_epi8(char(0x80))), x);
    }
  }

  static VF fzero() { return _mm256_setzero_ps(); }
  static VF to_float(VI v) { return _mm256_cvtepi32_ps(v); }
  static VF scale(const std::byte* p, bool f16) { return Avx2Quant::scale(p, f16); }
  static VF fma(VF a, VF b, VF c) { return _mm256_fmadd_ps(a, b, c); }
  static void hsum4(VF a, VF b, VF c, VF d, float* out) { Avx2::hsum4(a, b, c, d, out); }
};

}  // namespace
}  // namespace llamafast::kernels
