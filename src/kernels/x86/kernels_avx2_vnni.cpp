// The AVX2 table with AVX-VNNI (vpdpbusd, VEX encoded: Alder Lake and later,
// Zen 5): its own quantized matmuls; float weights go to the AVX2 table's.
// Compiled with the AVX2 flags plus -mavxvnni (see src/CMakeLists.txt).
#include "kernels/isa_tables.h"
#include "kernels/matmul_quant.h"
#include "kernels/x86/simd_quant_avx2.h"

namespace llamafast::kernels::avx2vnni {

void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end, PreparedInput* /*prepared*/) {
  if (!is_quantized(W.dtype)) return avx2::matmul(W, x, n, y, ldy, row_begin, row_end, nullptr);
  using Int = Int256<DotKind::vnni>;
  matmul_quant<Avx2Quant, Int>(W, x, n, y, ldy, row_begin, row_end);
}

}  // namespace llamafast::kernels::avx2vnni
