#include "model/config.h"

#include "common/error.h"

namespace llamafast {

void ModelConfig::validate(const std::string& source) const {
  // Upper bounds keep later size computations far from overflow.
  auto positive = [&](const char* field, long long v, long long max) {
    if (v <= 0 || v > max) fail("{}: {} = {} is out of range (1..{})", source, field, v, max);
  };
  positive("dim", dim, 1 << 16);
  positive("hidden_dim", hidden_dim, 1 << 18);
  positive("n_layers", n_layers, 1024);
  positive("n_heads", n_heads, 1024);
  positive("n_kv_heads", n_kv_heads, 1024);
  positive("head_dim", head_dim, 1 << 12);
  positive("vocab_size", vocab_size, 1 << 22);
  positive("max_seq_len", max_seq_len, 1 << 24);
  if (n_heads % n_kv_heads != 0)
    fail("{}: n_heads = {} is not a multiple of n_kv_heads = {}", source, n_heads, n_kv_heads);
  if (head_dim % 2 != 0) fail("{}: head_dim = {} must be even for rotary embeddings", source, head_dim);
  if (!(norm_eps > 0.0f && norm_eps < 1.0f)) fail("{}: norm_eps = {} is out of range", source, norm_eps);
  if (!(rope_theta > 1.0f)) fail("{}: rope_theta = {} must be > 1", source, rope_theta);
  if (rope_scaling.enabled) {
    const RopeScaling& s = rope_scaling;
    if (!(s.factor >= 1.0f) || !(s.low_freq_factor > 0.0f) || !(s.high_freq_factor > s.low_freq_factor) ||
        s.original_max_position_embeddings <= 0)
      fail("{}: rope_scaling has inconsistent values (factor {}, low_freq_factor {}, high_freq_factor {}, "
           "original_max_position_embeddings {})",
           source, s.factor, s.low_freq_factor, s.high_freq_factor, s.original_max_position_embeddings);
  }
  if (sliding_window < 0) fail("{}: sliding_window = {} is negative", source, sliding_window);
  if (bos_id >= vocab_size) fail("{}: bos_token_id = {} is outside the vocabulary ({})", source, bos_id, vocab_size);
  for (int e : eos_ids)
    if (e < 0 || e >= vocab_size) fail("{}: eos_token_id = {} is outside the vocabulary ({})", source, e, vocab_size);
}

}  // namespace llamafast
