// The weights the forward pass uses, checked against the config: matrices as
// kernel-ready views into the checkpoint, norm vectors as fp32.
#pragma once

#include <vector>

#include "kernels/kernels.h"
#include "model/checkpoint.h"

namespace llamafast {

using kernels::WeightMatrix;

struct LayerWeights {
  std::vector<float> attention_norm;  // (dim)
  WeightMatrix wq;                    // (n_heads * head_dim, dim)
  WeightMatrix wk;                    // (n_kv_heads * head_dim, dim)
  WeightMatrix wv;                    // (n_kv_heads * head_dim, dim)
  WeightMatrix wo;                    // (dim, n_heads * head_dim)
  std::vector<float> ffn_norm;        // (dim)
  WeightMatrix w1;                    // gate (hidden_dim, dim)
  WeightMatrix w2;                    // down (dim, hidden_dim)
  WeightMatrix w3;                    // up   (hidden_dim, dim)
};

struct ModelWeights {
  WeightMatrix tok_embeddings;  // (vocab, dim)
  std::vector<LayerWeights> layers;
  std::vector<float> norm;      // (dim)
  WeightMatrix output;          // (vocab, dim); the embeddings when tied
  size_t matrix_bytes = 0;      // bytes of every matrix read per decoded token
};

// Finds every tensor the config calls for, checks its shape, and binds it.
// Errors name the checkpoint and the tensor ("missing tensor", "has shape ...").
ModelWeights bind_weights(const Checkpoint& checkpoint);

}  // namespace llamafast
