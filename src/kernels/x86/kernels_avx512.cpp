// The AVX-512 (F, BW, DQ, VL) kernel table's entry points: the ISA-neutral algorithms
// bound to this ISA's vector operations. This file is compiled with the ISA's
// flags (see src/CMakeLists.txt) and only runs after dispatch.cpp has checked
// the CPU, so it must stay free of code that could run before that check.
// GCC 12's own AVX-512 intrinsics (_mm512_cvtph_ps, _mm512_castps512_ps256)
// pass an "undefined" register as the unused merge source, which its
// -W(maybe-)uninitialized then report once per inlined use: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/isa_tables.h"
#include "kernels/matmul_quant.h"
#include "kernels/matmul_simd.h"
#include "kernels/vector_ops.h"
#include "kernels/x86/simd_avx512.h"
#include "kernels/x86/simd_quant_avx512.h"

namespace llamafast::kernels::avx512 {

void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end, PreparedInput* /*prepared*/) {
  using Quant = QuantKernels<Avx512Quant, Int512<false>>;
  kernels::matmul<Avx512, Quant>(W, x, n, y, ldy, row_begin, row_end);
}

void row_to_f32(DType dtype, const void* src, float* dst, int n) {
  kernels::row_to_f32<Avx512>(dtype, src, dst, n);
}

void dot_rows(const float* q, size_t ldq, int heads, const CacheRows& rows, int n, float scale,
              float* scores, size_t lds) {
  kernels::dot_rows<Avx512>(q, ldq, heads, rows, n, scale, scores, lds);
}

void weighted_rows(const float* p, size_t ldp, int heads, const CacheRows& rows, int n, float* out,
                   size_t ldo) {
  kernels::weighted_rows<Avx512>(p, ldp, heads, rows, n, out, ldo);
}

void softmax(float* x, int n) { kernels::softmax<Avx512>(x, n); }

void silu_mul(float* gate, const float* up, int n) { kernels::silu_mul<Avx512>(gate, up, n); }

float quantize_activations(const float* x, int n, int8_t* q) {
  return quantize_activations_simd<Avx512Quant>(x, n, q);
}

}  // namespace llamafast::kernels::avx512
