// A quantized WeightMatrix (kernels.h) as the SIMD quant kernels walk it: the
// byte address of every group's integers and scale, with the layout's strides
// (llamafast's own arrays and GGUF's inline blocks alike). See simd_common.h
// for how and where to include it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"
#include "kernels/simd_common.h"

namespace llamafast::kernels {
namespace {

struct QuantView {
  explicit QuantView(const WeightMatrix& W)
      : data(static_cast<const uint8_t*>(W.data)),
        scales(static_cast<const std::byte*>(W.quant.scales)),
        row_stride(W.quant.row_stride),
        group_stride(W.quant.group_stride),
        scale_row_stride(W.quant.scale_row_stride),
        scale_group_stride(W.quant.scale_group_stride),
        group(W.quant.group),
        groups((W.cols + W.quant.group - 1) / W.quant.group),
        cols(W.cols),
        q4(W.dtype == DType::q4),
        f16_scales(W.quant.scale_dtype == DType::f16) {}

  const uint8_t* group_data(int r, int g) const {
    return data + size_t(r) * row_stride + size_t(g) * group_stride;
  }
  const std::byte* scale_at(int r, int g) const {
    return scales + size_t(r) * scale_row_stride + size_t(g) * scale_group_stride;
  }
  // Columns in group g: `group`, except for a shorter last one.
  int group_len(int g) const { return imin(group, cols - g * group); }

  const uint8_t* data;
  const std::byte* scales;
  size_t row_stride, group_stride, scale_row_stride, scale_group_stride;
  int group, groups, cols;
  bool q4, f16_scales;
};

}  // namespace
}  // namespace llamafast::kernels
