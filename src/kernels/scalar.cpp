// Scalar reference kernels: the definition every SIMD variant is tested against.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/half.h"
#include "kernels/kernels.h"
#include "kernels/quant_reference.h"

namespace llamafast::kernels {
namespace {

float load(DType t, const void* p, size_t i) {
  switch (t) {
    case DType::f32: return static_cast<const float*>(p)[i];
    case DType::f16: return f16_to_f32(static_cast<const uint16_t*>(p)[i]);
    case DType::bf16: return bf16_to_f32(static_cast<const uint16_t*>(p)[i]);
    case DType::q8:
    case DType::q4: break;  // not element-addressable; see quant_reference.cpp
  }
  return 0.0f;
}

void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end, PreparedInput* /*prepared*/) {
  if (is_quantized(W.dtype)) return matmul_quant_reference(W, x, n, y, ldy, row_begin, row_end);
  for (int t = 0; t < n; ++t) {
    const float* xt = x + size_t(t) * W.cols;
    for (int r = row_begin; r < row_end; ++r) {
      const size_t base = size_t(r) * W.cols;
      float acc = 0.0f;
      for (int c = 0; c < W.cols; ++c) acc += xt[c] * load(W.dtype, W.data, base + c);
      y[size_t(t) * ldy + r] = acc;
    }
  }
}

void row_to_f32(DType dtype, const void* src, float* dst, int n) {
  for (int i = 0; i < n; ++i) dst[i] = load(dtype, src, i);
}

void dot_rows(const float* q, size_t ldq, int heads, const CacheRows& rows, int n, float scale,
              float* scores, size_t lds) {
  for (int h = 0; h < heads; ++h) {
    for (int j = 0; j < rows.count; ++j) {
      float acc = 0.0f;
      for (int i = 0; i < n; ++i) acc += q[h * ldq + i] * load(rows.dtype, rows.data, j * rows.stride + i);
      scores[h * lds + j] = acc * scale;
    }
  }
}

void weighted_rows(const float* p, size_t ldp, int heads, const CacheRows& rows, int n, float* out,
                   size_t ldo) {
  for (int h = 0; h < heads; ++h) {
    float* o = out + h * ldo;
    for (int i = 0; i < n; ++i) o[i] = 0.0f;
    for (int j = 0; j < rows.count; ++j)
      for (int i = 0; i < n; ++i) o[i] += p[h * ldp + j] * load(rows.dtype, rows.data, j * rows.stride + i);
  }
}

void softmax(float* x, int n) {
  if (n <= 0) return;
  const float max = *std::max_element(x, x + n);
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int i = 0; i < n; ++i) x[i] *= inv;
}

void silu_mul(float* gate, const float* up, int n) {
  for (int i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace

const KernelTable& scalar_table() {
  static const KernelTable table{"scalar",      matmul,        row_to_f32, dot_rows, weighted_rows,
                                 softmax,       silu_mul,      quantize_activations};
  return table;
}

}  // namespace llamafast::kernels
