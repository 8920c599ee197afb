#include "model/weights.h"

#include <fmt/ranges.h>

#include "common/error.h"

namespace llamafast {

namespace {

class Binder {
 public:
  explicit Binder(const Checkpoint& ck) : ck_(ck) {}

  const Tensor& get(const std::string& name, std::vector<int64_t> shape) const {
    auto it = ck_.tensors.find(name);
    if (it == ck_.tensors.end()) fail("{}: missing tensor '{}'", ck_.source, name);
    if (it->second.shape != shape)
      fail("{}: tensor '{}' has shape [{}], expected [{}]", it->second.origin, name,
           fmt::join(it->second.shape, ", "), fmt::join(shape, ", "));
    return it->second;
  }

  WeightMatrix matrix(const std::string& name, int rows, int cols, size_t* bytes) const {
    const Tensor& t = get(name, {rows, cols});
    if (bytes) *bytes += t.nbytes;
    return {t.dtype, t.data, rows, cols, t.quant, t.int8_activations, t.bf16_activations};
  }

  size_t nbytes(const std::string& name) const { return ck_.tensors.at(name).nbytes; }

  std::vector<float> vector(const std::string& name, int n) const {
    const Tensor& t = get(name, {n});
    std::vector<float> v(static_cast<size_t>(n));
    kernels::weight_row_to_f32({t.dtype, t.data, 1, n, t.quant}, 0, v.data());
    return v;
  }

  bool has(const std::string& name) const { return ck_.tensors.count(name) != 0; }

 private:
  const Checkpoint& ck_;
};

}  // namespace

ModelWeights bind_weights(const Checkpoint& ck) {
  const ModelConfig& c = ck.config;
  c.validate(ck.source);
  const Binder b(ck);
  ModelWeights w;
  size_t* bytes = &w.matrix_bytes;
  w.tok_embeddings = b.matrix("tok_embeddings.weight", c.vocab_size, c.dim, nullptr);
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    LayerWeights L;
    L.attention_norm = b.vector(p + "attention_norm.weight", c.dim);
    L.wq = b.matrix(p + "attention.wq.weight", c.q_dim(), c.dim, bytes);
    L.wk = b.matrix(p + "attention.wk.weight", c.kv_dim(), c.dim, bytes);
    L.wv = b.matrix(p + "attention.wv.weight", c.kv_dim(), c.dim, bytes);
    L.wo = b.matrix(p + "attention.wo.weight", c.dim, c.q_dim(), bytes);
    L.ffn_norm = b.vector(p + "ffn_norm.weight", c.dim);
    L.w1 = b.matrix(p + "feed_forward.w1.weight", c.hidden_dim, c.dim, bytes);
    L.w2 = b.matrix(p + "feed_forward.w2.weight", c.dim, c.hidden_dim, bytes);
    L.w3 = b.matrix(p + "feed_forward.w3.weight", c.hidden_dim, c.dim, bytes);
    w.layers.push_back(std::move(L));
  }
  w.norm = b.vector("norm.weight", c.dim);
  if (c.tied_embeddings) {
    if (b.has("output.weight")) {
      w.output = b.matrix("output.weight", c.vocab_size, c.dim, bytes);  // stored anyway: use it
    } else {
      w.output = w.tok_embeddings;
      *bytes += b.nbytes("tok_embeddings.weight");
    }
  } else {
    w.output = b.matrix("output.weight", c.vocab_size, c.dim, bytes);
  }
  return w;
}

}  // namespace llamafast
