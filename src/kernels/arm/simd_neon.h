// AArch64 Advanced SIMD (NEON) vector operations for the ISA-neutral kernel
// templates (see kernels/simd_common.h). NEON is part of every AArch64 CPU, so
// unlike the x86 files this one needs no extra compiler flags.
#pragma once

#include <arm_neon.h>

#include <cstdint>

#include "kernels/simd_types.h"

namespace llamafast::kernels {
namespace {

struct Neon {
  using V = float32x4_t;
  static constexpr int kLanes = 4;
  static constexpr int kRegisters = 32;  // v0-v31
  // matmul_rows.h tile: 4 rows x up to 4 tokens = 16 accumulators, plus 4
  // activation vectors and one weight vector, of the 32 vector registers.
  static constexpr int kRowTileTokens = 4;
  // matmul_panels.h tile: 2 row vectors x 12 tokens = 24 accumulators, plus 2
  // weight vectors and one broadcast activation.
  static constexpr int kPanelTokens = 12;

  static V zero() { return vdupq_n_f32(0.0f); }
  static V set1(float a) { return vdupq_n_f32(a); }
  static V fma(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  static V add(V a, V b) { return vaddq_f32(a, b); }
  static V sub(V a, V b) { return vsubq_f32(a, b); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  static V div(V a, V b) { return vdivq_f32(a, b); }
  static V max(V a, V b) { return vmaxq_f32(a, b); }
  static V min(V a, V b) { return vminq_f32(a, b); }
  static V round(V a) { return vrndnq_f32(a); }
  // a * 2^n for integral n, the result a normal float: n added to a's exponent.
  static V ldexp(V a, V n) {
    const int32x4_t e = vshlq_n_s32(vcvtq_s32_f32(n), 23);
    return vreinterpretq_f32_s32(vaddq_s32(vreinterpretq_s32_f32(a), e));
  }

  static V broadcast(const float* p) { return vld1q_dup_f32(p); }
  static V load(const float* p) { return vld1q_f32(p); }
  // f16 -> f32 is exact (FCVTL, part of base AArch64).
  static V load(const F16* p) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(p))));
  }
  // bf16 -> f32 is exact: the bits become the upper half of the float.
  static V load(const BF16* p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(reinterpret_cast<const uint16_t*>(p)), 16));
  }

  // The first `count` (0 < count <= kLanes) elements, zeros after, touching no
  // memory past the last element (NEON has no masked loads: a small copy).
  template <class T>
  static V load_tail(const T* p, int count) {
    T tmp[kLanes] = {};
    for (int i = 0; i < count; ++i) tmp[i] = p[i];
    return load(tmp);
  }

  static void store(float* p, V v) { vst1q_f32(p, v); }
  static void store_tail(float* p, V v, int count) {
    float tmp[kLanes];
    vst1q_f32(tmp, v);
    for (int i = 0; i < count; ++i) p[i] = tmp[i];
  }

  // In place: afterwards v[i][j] is what v[j][i] was.
  static void transpose(V (&v)[4]) {
    // t0 = v0[0] v1[0] v0[2] v1[2], t1 = v0[1] v1[1] v0[3] v1[3]; same for 2, 3.
    const V t0 = vtrn1q_f32(v[0], v[1]), t1 = vtrn2q_f32(v[0], v[1]);
    const V t2 = vtrn1q_f32(v[2], v[3]), t3 = vtrn2q_f32(v[2], v[3]);
    const auto d = [](V x) { return vreinterpretq_f64_f32(x); };
    v[0] = vreinterpretq_f32_f64(vtrn1q_f64(d(t0), d(t2)));
    v[1] = vreinterpretq_f32_f64(vtrn1q_f64(d(t1), d(t3)));
    v[2] = vreinterpretq_f32_f64(vtrn2q_f64(d(t0), d(t2)));
    v[3] = vreinterpretq_f32_f64(vtrn2q_f64(d(t1), d(t3)));
  }

  static float hmax(V v) { return vmaxvq_f32(v); }
  static float hsum(V v) { return vaddvq_f32(v); }

  // out[i] = sum of the lanes of v[i], for four vectors at once.
  static void hsum4(V a, V b, V c, V d, float* out) {
    // [a0+a1 a2+a3 b0+b1 b2+b3], [c.. d..] -> [a b c d]
    vst1q_f32(out, vpaddq_f32(vpaddq_f32(a, b), vpaddq_f32(c, d)));
  }
};

}  // namespace
}  // namespace llamafast::kernels
