#include "quant/random_model.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace llamafast {

namespace {

struct Shape {
  const char* name;
  int dim, hidden, layers, heads, kv_heads, vocab, context;
  bool tied;
  float rope_theta;
  bool llama3;  // Llama 3 special ids and rope scaling
};

constexpr Shape kShapes[] = {
    {"stories110m", 768, 2048, 12, 12, 12, 32000, 1024, true, 10000.0f, false},
    {"tinyllama-1.1b", 2048, 5632, 22, 32, 4, 32000, 2048, false, 10000.0f, false},
    {"llama-3.2-1b", 2048, 8192, 16, 32, 8, 128256, 131072, true, 500000.0f, true},
    {"llama-2-7b", 4096, 11008, 32, 32, 32, 32000, 4096, false, 10000.0f, false},
};

void add(Checkpoint& ck, const std::string& name, std::vector<int64_t> shape) {
  Tensor t;
  t.shape = std::move(shape);
  t.nbytes = size_t(t.numel()) * sizeof(float);
  t.origin = ck.source;
  ck.tensors.emplace(name, std::move(t));
}

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

std::unique_ptr<Checkpoint> random_checkpoint(const std::string& shape) {
  const Shape* s = nullptr;
  for (const Shape& k : kShapes) if (shape == k.name) s = &k;
  if (!s) fail("unknown model shape '{}' (stories110m, tinyllama-1.1b, llama-3.2-1b, llama-2-7b)", shape);
  auto ck = std::make_unique<Checkpoint>();
  ck->source = "random:" + shape;
  ck->format = "random";
  ModelConfig& c = ck->config;
  c.dim = s->dim;
  c.hidden_dim = s->hidden;
  c.n_layers = s->layers;
  c.n_heads = s->heads;
  c.n_kv_heads = s->kv_heads;
  c.head_dim = s->dim / s->heads;
  c.vocab_size = s->vocab;
  c.max_seq_len = s->context;
  c.rope_theta = s->rope_theta;
  c.tied_embeddings = s->tied;
  c.bos_id = s->llama3 ? 128000 : 1;
  c.eos_ids = s->llama3 ? std::vector<int>{128001, 128009} : std::vector<int>{2};
  if (s->llama3) {
    c.rope_scaling.enabled = true;
    c.rope_scaling.factor = 32.0f;
  }
  add(*ck, "tok_embeddings.weight", {c.vocab_size, c.dim});
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    add(*ck, p + "attention_norm.weight", {c.dim});
    add(*ck, p + "ffn_norm.weight", {c.dim});
    add(*ck, p + "attention.wq.weight", {c.q_dim(), c.dim});
    add(*ck, p + "attention.wk.weight", {c.kv_dim(), c.dim});
    add(*ck, p + "attention.wv.weight", {c.kv_dim(), c.dim});
    add(*ck, p + "attention.wo.weight", {c.dim, c.q_dim()});
    add(*ck, p + "feed_forward.w1.weight", {c.hidden_dim, c.dim});
    add(*ck, p + "feed_forward.w2.weight", {c.dim, c.hidden_dim});
    add(*ck, p + "feed_forward.w3.weight", {c.hidden_dim, c.dim});
  }
  add(*ck, "norm.weight", {c.dim});
  if (!c.tied_embeddings) add(*ck, "output.weight", {c.vocab_size, c.dim});
  return ck;
}

void random_row(const std::string& name, bool is_norm, int row, float* out, int n) {
  if (is_norm) {
    std::fill(out, out + n, 1.0f);
    return;
  }
  uint64_t state = 0xCBF29CE484222325ull;  // FNV-1a of the name: the same model on every platform
  for (unsigned char ch : name) state = (state ^ ch) * 0x100000001B3ull;
  state += uint64_t(row);
  // Uniform on [-a, a) with a = 0.02 * sqrt(3): standard deviation 0.02.
  const float a = 0.02f * std::sqrt(3.0f);
  for (int i = 0; i < n; ++i) out[i] = (float(splitmix(state) >> 40) * 0x1p-24f * 2.0f - 1.0f) * a;
}

}  // namespace llamafast
