#include "runtime/ops.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace llamafast::ops {

void rmsnorm(const float* x, const float* w, float* out, int n, float eps) {
  // In double: a long row of squares loses digits in fp32. Eight partial sums,
  // because one chain of dependent additions took about 2 us for 2048 values, on
  // the calling thread while the others waited (45 calls per decoded token of
  // a 22-layer model); the other order changes the double sum's last bits, far
  // below the float scale's.
  double part[8] = {};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) part[j] += double(x[i + j]) * x[i + j];
  }
  for (; i < n; ++i) part[0] += double(x[i]) * x[i];
  const double ss = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  const float scale = float(1.0 / std::sqrt(ss / n + eps));
  for (int i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void add(float* x, const float* y, int n) {
  for (int i = 0; i < n; ++i) x[i] += y[i];
}

void round_to_bf16(float* x, int n) {
  // f32_to_bf16 without its branch, so that the loop vectorizes.
  for (int i = 0; i < n; ++i) {
    const uint32_t u = std::bit_cast<uint32_t>(x[i]);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    const uint32_t quiet_nan = (u & 0xffff0000u) | 0x00400000u;
    x[i] = std::bit_cast<float>((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
  }
}

std::vector<double> rope_inv_freq(const ModelConfig& c) {
  const int pairs = c.head_dim / 2;
  std::vector<double> inv(size_t(pairs), 0.0);
  for (int i = 0; i < pairs; ++i) inv[i] = std::pow(double(c.rope_theta), -2.0 * i / c.head_dim);
  if (!c.rope_scaling.enabled) return inv;
  // Llama 3.1: keep high frequencies, divide low ones by `factor`, and blend
  // linearly in wavelength between the two thresholds.
  const RopeScaling& s = c.rope_scaling;
  const double old_len = s.original_max_position_embeddings;
  const double low_wavelen = old_len / s.low_freq_factor;
  const double high_wavelen = old_len / s.high_freq_factor;
  for (double& f : inv) {
    const double wavelen = 2.0 * std::numbers::pi / f;
    if (wavelen < high_wavelen) continue;
    if (wavelen > low_wavelen) {
      f /= s.factor;
    } else {
      const double smooth = (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      f = (1.0 - smooth) * f / s.factor + smooth * f;
    }
  }
  return inv;
}

void rope(float* x, int n_heads, int head_dim, const float* cos, const float* sin, RopeLayout layout) {
  const int pairs = head_dim / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + size_t(h) * head_dim;
    for (int i = 0; i < pairs; ++i) {
      // Interleaved pairs are neighbours; half-split pairs are head_dim/2 apart.
      const int a = layout == RopeLayout::interleaved ? 2 * i : i;
      const int b = layout == RopeLayout::interleaved ? 2 * i + 1 : i + pairs;
      const float x0 = v[a], x1 = v[b];
      v[a] = x0 * cos[i] - x1 * sin[i];
      v[b] = x0 * sin[i] + x1 * cos[i];
    }
  }
}

void attend(const float* q, int heads, const kernels::CacheRows& keys, const kernels::CacheRows& values,
            int head_dim, float* scores, float* out, const kernels::KernelTable& k) {
  const size_t hd = size_t(head_dim), n = size_t(keys.count);
  k.dot_rows(q, hd, heads, keys, head_dim, 1.0f / std::sqrt(float(head_dim)), scores, n);
  for (int h = 0; h < heads; ++h) k.softmax(scores + size_t(h) * n, keys.count);
  k.weighted_rows(scores, n, heads, values, head_dim, out, hd);
}

}  // namespace llamafast::ops
