#include "runtime/transformer.h"

#include <algorithm>
#include <cmath>

#include "runtime/ops.h"

namespace llamafast {

Transformer::Transformer(const ModelConfig& config, const ModelWeights& weights, int max_seq_len,
                         ThreadPool& pool, int max_batch, DType kv_dtype)
    : c_(config),
      w_(weights),
      pool_(pool),
      k_(kernels::active()),
      max_batch_(std::max(1, std::min(max_batch, max_seq_len))),
      cache_(config.n_layers, max_seq_len, config.n_kv_heads, config.head_dim, kv_dtype),
      inv_freq_(ops::rope_inv_freq(config)),
      split_(pool.size()),
      prepared_(size_t(pool.size())) {
  const size_t b = size_t(max_batch_);
  x_.resize(b * c_.dim);
  xb_.resize(b * c_.dim);
  q_.resize(b * c_.q_dim());
  k_new_.resize(b * c_.kv_dim());
  v_new_.resize(b * c_.kv_dim());
  att_.resize(b * c_.q_dim());
  proj_.resize(b * c_.dim);
  gate_.resize(b * c_.hidden_dim);
  up_.resize(b * c_.hidden_dim);
  cos_.resize(b * (c_.head_dim / 2));
  sin_.resize(b * (c_.head_dim / 2));
  scores_.resize(size_t(pool.size()) * (config.n_heads / config.n_kv_heads) * max_seq_len);
}

void Transformer::forward(std::span<const int> tokens, int pos, float* logits, bool all_logits) {
  for (size_t done = 0; done < tokens.size();) {
    const int n = int(std::min<size_t>(size_t(max_batch_), tokens.size() - done));
    const bool last_chunk = done + size_t(n) == tokens.size();
    float* out = all_logits ? logits + done * size_t(c_.vocab_size) : (last_chunk ? logits : nullptr);
    forward_chunk(tokens.data() + done, n, pos + int(done), out, all_logits);
    done += size_t(n);
  }
}

void Transformer::matmul(const WeightMatrix& W, float* x, int n, float* y, int ldy) {
  matmuls({{W, y, ldy}}, x, n);
}

void Transformer::matmuls(std::initializer_list<MatmulOut> outs, float* x, int n) {
  int64_t rows = 0;
  bool bf16_activations = false;
  for (const MatmulOut& o : outs) {
    rows += o.W.rows;
    bf16_activations = bf16_activations || o.W.bf16_activations;
  }
  if (bf16_activations) round_to_bf16(x, outs.begin()->W.cols, n);
  // Row blocks of 32 match the AVX-512 prefill panel, so no claim ends in a partial panel.
  split_.reset(rows, 32);
  pool_.run([&](int thread, int) {
    kernels::PreparedInput& prepared = prepared_[size_t(thread)];
    prepared.clear();  // x has changed since the last run
    int64_t begin = 0, end = 0;
    while (split_.next(thread, begin, end)) {
      // [begin, end) counts the matrices' rows one after the other.
      int64_t first = 0;
      for (const MatmulOut& o : outs) {
        const int64_t b = std::max(begin, first) - first, e = std::min(end, first + o.W.rows) - first;
        if (b < e) k_.matmul(o.W, x, n, o.y, o.ldy, int(b), int(e), &prepared);
        first += o.W.rows;
      }
    }
  });
}

void Transformer::gated_hidden(const LayerWeights& L, float* x, int n) {
  const int hidden = c_.hidden_dim;
  if (L.w1.bf16_activations || L.w3.bf16_activations) round_to_bf16(x, L.w1.cols, n);
  split_.reset(hidden, 32);
  pool_.run([&](int thread, int) {
    kernels::PreparedInput& prepared = prepared_[size_t(thread)];
    prepared.clear();
    int64_t begin = 0, end = 0;
    while (split_.next(thread, begin, end)) {
      k_.matmul(L.w1, x, n, gate_.data(), hidden, int(begin), int(end), &prepared);
      k_.matmul(L.w3, x, n, up_.data(), hidden, int(begin), int(end), &prepared);
      for (int t = 0; t < n; ++t) {
        const size_t row = size_t(t) * hidden + size_t(begin);
        k_.silu_mul(&gate_[row], &up_[row], int(end - begin));
      }
    }
  });
}

void Transformer::round_to_bf16(float* x, int cols, int n) {
  for_each_token(n, [&](int t) { ops::round_to_bf16(x + size_t(t) * cols, cols); });
}

void Transformer::forward_chunk(const int* tokens, int n, int pos, float* logits, bool all_logits) {
  const int dim = c_.dim, pairs = c_.head_dim / 2;

  for (int t = 0; t < n; ++t) {
    kernels::weight_row_to_f32(w_.tok_embeddings, tokens[t], &x_[size_t(t) * dim]);
    for (int i = 0; i < pairs; ++i) {
      const double angle = double(pos + t) * inv_freq_[i];
      cos_[size_t(t) * pairs + i] = float(std::cos(angle));
      sin_[size_t(t) * pairs + i] = float(std::sin(angle));
    }
  }

  for (int l = 0; l < c_.n_layers; ++l) {
    const LayerWeights& L = w_.layers[l];

    // Attention block: x += wo(attention(rope(wq xb), rope(wk xb), wv xb)).
    for_each_token(n, [&](int t) {
      ops::rmsnorm(&x_[size_t(t) * dim], L.attention_norm.data(), &xb_[size_t(t) * dim], dim, c_.norm_eps);
    });
    matmuls({{L.wq, q_.data(), c_.q_dim()}, {L.wk, k_new_.data(), c_.kv_dim()}, {L.wv, v_new_.data(), c_.kv_dim()}},
            xb_.data(), n);
    for_each_token(n, [&](int t) {
      const float* cs = &cos_[size_t(t) * pairs];
      const float* sn = &sin_[size_t(t) * pairs];
      ops::rope(&q_[size_t(t) * c_.q_dim()], c_.n_heads, c_.head_dim, cs, sn, c_.rope_layout);
      ops::rope(&k_new_[size_t(t) * c_.kv_dim()], c_.n_kv_heads, c_.head_dim, cs, sn, c_.rope_layout);
      cache_.store(l, pos + t, &k_new_[size_t(t) * c_.kv_dim()], &v_new_[size_t(t) * c_.kv_dim()]);
    });
    attention(l, n, pos);
    matmul(L.wo, att_.data(), n, proj_.data(), dim);

    // Feed-forward block: x += w2(silu(w1 xb) * w3 xb), after the attention's residual add.
    for_each_token(n, [&](int t) {
      float* x = &x_[size_t(t) * dim];
      ops::add(x, &proj_[size_t(t) * dim], dim);
      ops::rmsnorm(x, L.ffn_norm.data(), &xb_[size_t(t) * dim], dim, c_.norm_eps);
    });
    gated_hidden(L, xb_.data(), n);
    matmul(L.w2, gate_.data(), n, proj_.data(), dim);
    for_each_token(n, [&](int t) { ops::add(&x_[size_t(t) * dim], &proj_[size_t(t) * dim], dim); });
  }

  if (!logits) return;  // an earlier chunk of a prompt: only the cache matters
  // Final norm and classifier, for every token or only the last.
  const int first = all_logits ? 0 : n - 1;
  for_each_token(n - first, [&](int i) {
    const size_t t = size_t(first + i);
    ops::rmsnorm(&x_[t * dim], w_.norm.data(), &xb_[t * dim], dim, c_.norm_eps);
  });
  matmul(w_.output, &xb_[size_t(first) * dim], n - first, logits, c_.vocab_size);
}

void Transformer::for_each_token(int n, const std::function<void(int)>& fn) {
  pool_.parallel_for(n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) fn(int(t));
  });
}

void Transformer::attention(int layer, int n, int pos) {
  const int hd = c_.head_dim, group = c_.n_heads / c_.n_kv_heads;
  // A task is `heads` query heads of one GQA group for one token: they read
  // their KV head's cached rows together. Halved (results do not change) while
  // there would be fewer tasks than threads, as in decode on many cores.
  int heads = group;
  while (heads % 2 == 0 && int64_t(n) * (c_.n_heads / heads) < pool_.size()) heads /= 2;
  const int per_token = c_.n_heads / heads;
  const int64_t tasks = int64_t(n) * per_token;
  pool_.run([&](int thread, int n_threads) {
    float* scores = &scores_[size_t(thread) * group * cache_.capacity()];
    for (int64_t task = thread; task < tasks; task += n_threads) {
      const int t = int(task / per_token), h = int(task % per_token) * heads;  // first head
      // Causal: the query at position p sees keys [first, p]; with a sliding
      // window W only the last W of them (itself included).
      const int p = pos + t;
      const int first = c_.sliding_window > 0 ? std::max(0, p - c_.sliding_window + 1) : 0;
      const int kv_head = h / group, n_keys = p - first + 1;  // GQA: `group` query heads share a kv head
      ops::attend(&q_[size_t(t) * c_.q_dim() + size_t(h) * hd], heads, cache_.keys(layer, kv_head, first, n_keys),
                  cache_.values(layer, kv_head, first, n_keys), hd, scores,
                  &att_[size_t(t) * c_.q_dim() + size_t(h) * hd], k_);
    }
  });
}

}  // namespace llamafast
