// The AArch64 NEON kernel table's entry points: the ISA-neutral algorithms
// bound to this ISA's vector operations. Compiled only on aarch64 (see
// src/CMakeLists.txt). Not run by this project's CI machines, which are x86-64:
// kernels_test.cpp checks it against the scalar reference wherever it runs.
#include "kernels/arm/simd_neon.h"
#include "kernels/isa_tables.h"
#include "kernels/matmul_simd.h"
#include "kernels/vector_ops.h"

namespace llamafast::kernels::neon {

void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end, PreparedInput* /*prepared*/) {
  kernels::matmul<Neon>(W, x, n, y, ldy, row_begin, row_end);
}

void row_to_f32(DType dtype, const void* src, float* dst, int n) {
  kernels::row_to_f32<Neon>(dtype, src, dst, n);
}

void dot_rows(const float* q, size_t ldq, int heads, const CacheRows& rows, int n, float scale,
              float* scores, size_t lds) {
  kernels::dot_rows<Neon>(q, ldq, heads, rows, n, scale, scores, lds);
}

void weighted_rows(const float* p, size_t ldp, int heads, const CacheRows& rows, int n, float* out,
                   size_t ldo) {
  kernels::weighted_rows<Neon>(p, ldp, heads, rows, n, out, ldo);
}

void softmax(float* x, int n) { kernels::softmax<Neon>(x, n); }

void silu_mul(float* gate, const float* up, int n) { kernels::silu_mul<Neon>(gate, up, n); }

}  // namespace llamafast::kernels::neon
