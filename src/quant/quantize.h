// Weight quantization for export: fp32 rows -> the q8 / q4 layouts that the
// kernels read (kernels::QuantLayout). Symmetric, round to nearest (ties to
// even), one scale per group of `group` columns; a row whose length is not a
// multiple of the group ends with a shorter group.
#pragma once

#include <cstddef>
#include <cstdint>

namespace llamafast::quant {

inline int group_count(int cols, int group) { return (cols + group - 1) / group; }

// Bytes of one q4 row: half a byte per weight, a ragged odd-length last group
// rounded up to whole bytes (kernels.h says how nibbles are ordered).
size_t q4_row_bytes(int cols, int group);

// int8: scale = max |w| / 127 over the group, q = nearbyint(w / scale).
// Writes cols int8 and group_count(cols, group) fp32 scales.
void quantize_q8_row(const float* w, int cols, int group, int8_t* q, float* scales);

// int4: scale = max |w| / 7 over the group, rounded to fp16 first (the stored
// scale is what the weights are divided by), q = clamp(nearbyint(w / scale),
// -8, 7) stored as nibble q + 8. Writes q4_row_bytes(cols, group) bytes and
// group_count(cols, group) fp16 scales (as raw bits).
// /7 rather than /8 keeps the largest weight of each group exact (no clamping
// of +max); the spare level -8 only serves weights the fp16 rounding pushed out.
void quantize_q4_row(const float* w, int cols, int group, uint8_t* q, uint16_t* scales);

}  // namespace llamafast::quant
