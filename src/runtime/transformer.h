// The Llama forward pass for one sequence: embeddings -> N x (attention, SwiGLU
// FFN) -> final norm -> logits. Prefill runs many tokens as one batch (matrix x
// matrix); decode is the same code with one token (matrix x vector).
#pragma once

#include <functional>
#include <initializer_list>
#include <span>
#include <vector>

#include "kernels/kernels.h"
#include "model/config.h"
#include "model/weights.h"
#include "runtime/kv_cache.h"
#include "runtime/thread_pool.h"
#include "runtime/work_split.h"

namespace llamafast {

class Transformer {
 public:
  // max_seq_len: KV cache capacity; max_batch: tokens per prefill pass (longer
  // prompts run in chunks of this size); kv_dtype: the cache's elements (f32,
  // f16 or bf16).
  Transformer(const ModelConfig& config, const ModelWeights& weights, int max_seq_len, ThreadPool& pool,
              int max_batch = 128, DType kv_dtype = DType::f32);

  // Runs tokens at positions [pos, pos + n). With all_logits, writes every
  // position's logits to `logits` (n, vocab); otherwise only the last one (vocab).
  // The caller checks token ids and that pos + n <= capacity().
  void forward(std::span<const int> tokens, int pos, float* logits, bool all_logits);

  int capacity() const { return cache_.capacity(); }
  const kernels::KernelTable& kernels() const { return k_; }

 private:
  void forward_chunk(const int* tokens, int n, int pos, float* logits, bool all_logits);
  void attention(int layer, int n, int pos);
  void matmul(const WeightMatrix& W, float* x, int n, float* y, int ldy);
  // y (n, ldy) = x W^T for matrices that read the same n tokens (q, k and v),
  // in one parallel run: their rows, one matrix after the other, are
  // shared out by split_, so decode waits at one barrier rather than one per
  // matrix, and not for a thread that fell behind. x is rounded to bf16 in
  // place first when the matrices ask for bf16 activations (x is scratch that
  // only these matmuls read).
  struct MatmulOut {
    const WeightMatrix& W;
    float* y;
    int ldy;
  };
  void matmuls(std::initializer_list<MatmulOut> outs, float* x, int n);
  // gate_ = silu(w1 x) * w3 x, in one parallel run: split_ shares out the
  // hidden units, and a thread computes a claim's units of w1 and of w3 and
  // combines them at once, so SwiGLU costs no serial step (decode) or run
  // (prefill) of its own.
  void gated_hidden(const LayerWeights& L, float* x, int n);
  // x (n, cols) rounded to bf16 in place, for matrices with bf16 activations.
  void round_to_bf16(float* x, int cols, int n);
  // fn(t) for t in [0, n), split over the pool's threads: the per-token work
  // between matmuls (norms, rotary, residual adds), which left the other
  // threads waiting when it ran on one.
  void for_each_token(int n, const std::function<void(int)>& fn);

  const ModelConfig& c_;
  const ModelWeights& w_;
  ThreadPool& pool_;
  const kernels::KernelTable& k_;
  const int max_batch_;
  KVCache cache_;
  std::vector<double> inv_freq_;  // (head_dim / 2)

  // Run state for one chunk of up to max_batch tokens.
  std::vector<float> x_;        // residual stream (batch, dim)
  std::vector<float> xb_;       // normed input of a block (batch, dim)
  std::vector<float> q_;        // queries (batch, q_dim)
  std::vector<float> k_new_;    // keys of this chunk (batch, kv_dim)
  std::vector<float> v_new_;    // values of this chunk (batch, kv_dim)
  std::vector<float> att_;      // attention output (batch, q_dim)
  std::vector<float> proj_;     // output of wo / w2 before the residual add (batch, dim)
  std::vector<float> gate_;     // w1 x, then silu(w1 x) * w3 x (batch, hidden)
  std::vector<float> up_;       // w3 x (batch, hidden)
  std::vector<float> cos_;      // rotary cos (batch, head_dim / 2)
  std::vector<float> sin_;      // rotary sin (batch, head_dim / 2)
  WorkSplit split_;             // rows of the current matmuls() among the threads
  std::vector<kernels::PreparedInput> prepared_;  // per thread: x as the kernels read it, within one run
  std::vector<float> scores_;   // attention scores, per thread a row per head of a GQA group (threads, group, capacity)
};

}  // namespace llamafast
