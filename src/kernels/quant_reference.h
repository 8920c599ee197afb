// The scalar definition of the quantized matmuls (see WeightMatrix in
// kernels.h). Every table's matmul routes q8 / q4 weights here until it has
// its own variant, and tests compare the SIMD variants against it.
#pragma once

#include "kernels/kernels.h"

namespace llamafast::kernels {

void matmul_quant_reference(const WeightMatrix& W, const float* x, int n, float* y, int ldy,
                            int row_begin, int row_end);

// Weight (r, c) of a q8 / q4 matrix as the stored integer, and its group's scale.
int quant_value(const WeightMatrix& W, int r, int c);
float quant_scale(const WeightMatrix& W, int r, int g);

}  // namespace llamafast::kernels
