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
        rows(W.rows),
        q4(W.dtype == DType::q4),
        f16_scales(W.quant.scale_dtype == DType::f16) {}

  const uint8_t* row_data(int r) const { return data + size_t(r) * row_stride; }
  const std::byte* row_scales(int r) const { return scales + size_t(r) * scale_row_stride; }
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
  int group, groups, cols, rows;
  bool q4, f16_scales;
};

// While a tile of R rows is summed, the next R rows are fetched a cache line
// at a time, in step with the bytes (integers, scales) consumed so far: rows
// of a few hundred bytes to a few KiB are too short for the hardware
// prefetchers, which start cold on each one, to reach full speed (2-4x slower
// decode without this on Zen 5, most for GGUF blocks). Offsets are from the
// start of the current rows.
template <int R>
struct NextTilePrefetch {
  NextTilePrefetch(const QuantView& W, const uint8_t* const (&rows)[R],
                   const std::byte* const (&scales)[R])
      : ahead(R * W.row_stride), scale_ahead(R * W.scale_row_stride), rows(rows), scales(scales) {}

  // Integers up to byte `data_end`, scales up to byte `scale_end` of each row.
  LLAMAFAST_ALWAYS_INLINE void upto(size_t data_end, size_t scale_end) {
    for (; data_done < data_end; data_done += 64)
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) prefetch_weights(rows[r] + ahead + data_done);
    for (; scales_done < scale_end; scales_done += 64)
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) prefetch_weights(scales[r] + scale_ahead + scales_done);
  }

  size_t ahead, scale_ahead, data_done = 0, scales_done = 0;
  const uint8_t* const (&rows)[R];
  const std::byte* const (&scales)[R];
};

}  // namespace
}  // namespace llamafast::kernels
