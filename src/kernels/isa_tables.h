// Entry points of the per-ISA kernel files, from which dispatch.cpp builds the
// KernelTables. Plain functions rather than tables defined in the ISA files:
// those files are compiled with ISA flags, and keeping them to these few
// functions keeps any inline library code they would otherwise instantiate
// (and the linker might pick for everyone) out of them.
#pragma once

#include "kernels/kernels.h"

namespace llamafast::kernels {

#if defined(__x86_64__) && !defined(LLAMAFAST_SCALAR_ONLY)
#define LLAMAFAST_HAVE_X86_KERNELS 1

namespace avx2 {  // x86/kernels_avx2.cpp
void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end, PreparedInput* prepared);
void row_to_f32(DType dtype, const void* src, float* dst, int n);
void dot_rows(const float* q, size_t ldq, int heads, const CacheRows& rows, int n, float scale,
              float* scores, size_t lds);
void weighted_rows(const float* p, size_t ldp, int heads, const CacheRows& rows, int n, float* out,
                   size_t ldo);
void softmax(float* x, int n);
void silu_mul(float* gate, const float* up, int n);
float quantize_activations(const float* x, int n, int8_t* q);
}  // namespace avx2

namespace avx512 {  // x86/kernels_avx512.cpp
void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end, PreparedInput* prepared);
void row_to_f32(DType dtype, const void* src, float* dst, int n);
void dot_rows(const float* q, size_t ldq, int heads, const CacheRows& rows, int n, float scale,
              float* scores, size_t lds);
void weighted_rows(const float* p, size_t ldp, int heads, const CacheRows& rows, int n, float* out,
                   size_t ldo);
void softmax(float* x, int n);
void silu_mul(float* gate, const float* up, int n);
float quantize_activations(const float* x, int n, int8_t* q);
}  // namespace avx512

// The same tables with vpdpbusd for the int8_activations matmuls: only matmul
// differs (float weights go to the base table's).
namespace avx2vnni {  // x86/kernels_avx2_vnni.cpp
void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end, PreparedInput* prepared);
}  // namespace avx2vnni

namespace avx512vnni {  // x86/kernels_avx512_vnni.cpp
void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end, PreparedInput* prepared);
}  // namespace avx512vnni

// bf16_activations matmuls with vdpbf16ps, which avx512vnni::matmul calls on
// CPUs with AVX512-BF16 (bf16 weights, cols > 0): prefill (matmul) and decode
// (matmul_one_token; false, having done nothing, where it does not apply).
namespace avx512bf16 {  // x86/kernels_avx512_bf16.cpp
void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end);
bool matmul_one_token(const WeightMatrix& W, const float* x, float* y, int row_begin,
                      int row_end);
}  // namespace avx512bf16

#endif

#if defined(__aarch64__) && !defined(LLAMAFAST_SCALAR_ONLY)
#define LLAMAFAST_HAVE_NEON_KERNELS 1

namespace neon {  // arm/kernels_neon.cpp
void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end, PreparedInput* prepared);
void row_to_f32(DType dtype, const void* src, float* dst, int n);
void dot_rows(const float* q, size_t ldq, int heads, const CacheRows& rows, int n, float scale,
              float* scores, size_t lds);
void weighted_rows(const float* p, size_t ldp, int heads, const CacheRows& rows, int n, float* out,
                   size_t ldo);
void softmax(float* x, int n);
void silu_mul(float* gate, const float* up, int n);
}  // namespace neon

#endif

}  // namespace llamafast::kernels
