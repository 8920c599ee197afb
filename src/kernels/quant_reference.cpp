#include "kernels/quant_reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/half.h"

namespace llamafast::kernels {

int quant_value(const WeightMatrix& W, int r, int c) {
  const QuantLayout& L = W.quant;
  const int g = c / L.group, j = c - g * L.group;
  const auto* group = static_cast<const uint8_t*>(W.data) + size_t(r) * L.row_stride +
                      size_t(g) * L.group_stride;
  if (W.dtype == DType::q8) return static_cast<int8_t>(group[j]);
  const int len = std::min(L.group, W.cols - g * L.group);
  const int half = (len + 1) / 2;
  const uint8_t byte = j < half ? group[j] : group[j - half];
  return (j < half ? byte & 0x0F : byte >> 4) - 8;
}

float quant_scale(const WeightMatrix& W, int r, int g) {
  const QuantLayout& L = W.quant;
  const auto* p = static_cast<const std::byte*>(L.scales) + size_t(r) * L.scale_row_stride +
                  size_t(g) * L.scale_group_stride;
  if (L.scale_dtype == DType::f16) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return f16_to_f32(h);
  }
  float f;
  std::memcpy(&f, p, sizeof f);
  return f;
}

float quantize_activations(const float* x, int n, int8_t* q) {
  float m = 0.0f;
  for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  if (m == 0.0f) {
    std::fill(q, q + n, int8_t{0});
    return 0.0f;
  }
  const float inv = 127.0f / m;
  for (int i = 0; i < n; ++i)
    q[i] = static_cast<int8_t>(std::clamp(std::nearbyint(x[i] * inv), -127.0f, 127.0f));
  return m / 127.0f;
}

void matmul_quant_reference(const WeightMatrix& W, const float* x, int n, float* y, int ldy,
                            int row_begin, int row_end) {
  const int G = W.quant.group, groups = (W.cols + G - 1) / G;
  // Integers of one token's activations, requantized per row: the reference
  // trades speed for having no buffer.
  for (int t = 0; t < n; ++t) {
    const float* xt = x + size_t(t) * W.cols;
    float m = 0.0f;
    for (int c = 0; c < W.cols; ++c) m = std::max(m, std::fabs(xt[c]));
    const float inv = m > 0.0f ? 127.0f / m : 0.0f, s = m / 127.0f;
    for (int r = row_begin; r < row_end; ++r) {
      float acc = 0.0f;
      for (int g = 0; g < groups; ++g) {
        const int c0 = g * G, c1 = std::min(W.cols, c0 + G);
        float group_sum;
        if (W.int8_activations) {
          int32_t isum = 0;
          for (int c = c0; c < c1; ++c) {
            const int xq = int(std::clamp(std::nearbyint(xt[c] * inv), -127.0f, 127.0f));
            isum += quant_value(W, r, c) * xq;
          }
          group_sum = float(isum) * s;
        } else {
          group_sum = 0.0f;
          for (int c = c0; c < c1; ++c) group_sum += float(quant_value(W, r, c)) * xt[c];
        }
        acc += quant_scale(W, r, g) * group_sum;
      }
      y[size_t(t) * ldy + r] = acc;
    }
  }
}

void weight_row_to_f32(const WeightMatrix& W, int row, float* dst) {
  if (!is_quantized(W.dtype)) {
    const auto* src = static_cast<const std::byte*>(W.data) + size_t(row) * W.cols * dtype_size(W.dtype);
    scalar_table().row_to_f32(W.dtype, src, dst, W.cols);
    return;
  }
  for (int c = 0; c < W.cols; ++c)
    dst[c] = quant_scale(W, row, c / W.quant.group) * float(quant_value(W, row, c));
}

}  // namespace llamafast::kernels
