// Hyper-parameters of a Llama-family model, whatever file they came from.
#pragma once

#include <string>
#include <vector>

namespace llamafast {

// How q/k pairs are laid out for rotary embeddings.
enum class RopeLayout {
  interleaved,  // Meta, llama2.c, GGUF: rotate (x[2i], x[2i+1])
  half,         // Hugging Face: rotate (x[i], x[i + head_dim/2])
};

// Llama 3.1/3.2 frequency scaling (`rope_type: llama3`).
struct RopeScaling {
  bool enabled = false;
  float factor = 8.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int original_max_position_embeddings = 8192;
};

struct ModelConfig {
  int dim = 0;          // residual stream width
  int hidden_dim = 0;   // SwiGLU inner width
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;   // < n_heads: GQA; 1: MQA
  int head_dim = 0;     // usually dim / n_heads, but not always
  int vocab_size = 0;
  int max_seq_len = 0;  // context length the model was trained for
  float norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopeScaling rope_scaling;
  RopeLayout rope_layout = RopeLayout::interleaved;
  bool tied_embeddings = false;
  int sliding_window = 0;  // 0: full causal attention; W: a query sees its last W positions
  int bos_id = -1;
  std::vector<int> eos_ids;

  int q_dim() const { return n_heads * head_dim; }
  int kv_dim() const { return n_kv_heads * head_dim; }

  // Fails with "<source>: <field> ..." when the numbers cannot describe a model.
  void validate(const std::string& source) const;
};

}  // namespace llamafast
