// The small per-token operations of the forward pass (the matmuls live in
// kernels/). Written plainly: they cost little next to the matmuls.
#pragma once

#include <vector>

#include "kernels/kernels.h"
#include "model/config.h"

namespace llamafast::ops {

// out = x / sqrt(mean(x^2) + eps) * w        x, w, out: (n)
void rmsnorm(const float* x, const float* w, float* out, int n, float eps);

// x += y, the residual add.                           x, y: (n)
void add(float* x, const float* y, int n);

// x = bf16(x), rounded to nearest even: the activations of matrices whose
// activations are bf16 (WeightMatrix::bf16_activations).           x: (n)
void round_to_bf16(float* x, int n);

// Rotary inverse frequencies (head_dim / 2) with rope_theta and, when enabled,
// Llama 3.1 frequency scaling applied.
std::vector<double> rope_inv_freq(const ModelConfig& config);

// Rotates each head of x (n_heads * head_dim) by the angles whose cos/sin are
// given per pair (head_dim / 2), in the model's pair layout.
void rope(float* x, int n_heads, int head_dim, const float* cos, const float* sin, RopeLayout layout);

// `heads` query heads that share one KV head (consecutive heads of a GQA
// group), each attending over the same cached positions (keys.count ==
// values.count of them, head_dim elements each):
//   out_h = softmax(q_h . K^T / sqrt(head_dim)) V
// q, out: (heads, head_dim); scores: scratch (heads, keys.count). Each head's
// output is the same, bit for bit, as when it attends alone: the heads only
// share the reading of K, V.
void attend(const float* q, int heads, const kernels::CacheRows& keys, const kernels::CacheRows& values,
            int head_dim, float* scores, float* out, const kernels::KernelTable& k);

}  // namespace llamafast::ops
