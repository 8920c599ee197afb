#include "quant/quantize.h"

#include <algorithm>
#include <cmath>

#include "common/half.h"

namespace llamafast::quant {

namespace {

float max_abs(const float* w, int n) {
  float m = 0.0f;
  for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(w[i]));
  return m;
}

int round_clamped(float v, int lo, int hi) {
  return int(std::clamp(std::nearbyint(v), float(lo), float(hi)));
}

}  // namespace

size_t q4_row_bytes(int cols, int group) {
  const int full = cols / group, last = cols - full * group;
  return size_t(full) * size_t(group / 2) + size_t((last + 1) / 2);
}

void quantize_q8_row(const float* w, int cols, int group, int8_t* q, float* scales) {
  for (int g = 0, c0 = 0; c0 < cols; ++g, c0 += group) {
    const int len = std::min(group, cols - c0);
    const float scale = max_abs(w + c0, len) / 127.0f;
    scales[g] = scale;
    for (int j = 0; j < len; ++j)
      q[c0 + j] = scale > 0.0f ? int8_t(round_clamped(w[c0 + j] / scale, -127, 127)) : int8_t{0};
  }
}

void quantize_q4_row(const float* w, int cols, int group, uint8_t* q, uint16_t* scales) {
  uint8_t* out = q;
  for (int g = 0, c0 = 0; c0 < cols; ++g, c0 += group) {
    const int len = std::min(group, cols - c0), half = (len + 1) / 2;
    const uint16_t bits = f32_to_f16(max_abs(w + c0, len) / 7.0f);
    const float scale = f16_to_f32(bits);
    scales[g] = bits;
    std::fill(out, out + half, uint8_t{0});
    for (int j = 0; j < len; ++j) {
      const auto u = uint8_t((scale > 0.0f ? round_clamped(w[c0 + j] / scale, -8, 7) : 0) + 8);
      if (j < half) out[j] |= u;
      else out[j - half] |= uint8_t(u << 4);
    }
    out += half;
  }
}

}  // namespace llamafast::quant
