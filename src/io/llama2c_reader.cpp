// llama2.c legacy checkpoints (run.c's format): a 7 x int32 header, then fp32
// arrays in a fixed order. A negative vocab_size means a separate classifier
// (wcls) follows the (unused) RoPE tables; otherwise the head is tied.
#include <filesystem>

#include "common/error.h"
#include "model/checkpoint.h"

namespace llamafast {

namespace {

struct Llama2cHeader {
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
};
static_assert(sizeof(Llama2cHeader) == 28);

}  // namespace

std::unique_ptr<Checkpoint> read_llama2c(const std::string& path) {
  MappedFile file = MappedFile::open(path);
  auto ck = parse_llama2c(file.bytes(), path);
  ck->keep(std::move(file));
  const auto beside = std::filesystem::path(path).parent_path() / "tokenizer.bin";
  if (std::filesystem::exists(beside)) ck->tokenizer_path = beside.string();
  return ck;
}

std::unique_ptr<Checkpoint> parse_llama2c(std::span<const std::byte> bytes, const std::string& path) {
  auto ck = std::make_unique<Checkpoint>();
  ck->source = path;
  ck->format = "llama2c";
  ByteReader in(bytes, path);
  const auto h = in.read<Llama2cHeader>("llama2.c header");

  // The versioned llama2.c exports start with the magic "ak42".
  if (uint32_t(h.dim) == 0x616b3432u)
    fail("{}: llama2.c version {} export; only the legacy (version 0) format is supported", path, h.hidden_dim);

  ModelConfig& c = ck->config;
  c.dim = h.dim;
  c.hidden_dim = h.hidden_dim;
  c.n_layers = h.n_layers;
  c.n_heads = h.n_heads;
  c.n_kv_heads = h.n_kv_heads;
  const int64_t vocab_abs = h.vocab_size < 0 ? -int64_t(h.vocab_size) : h.vocab_size;
  c.vocab_size = vocab_abs > (1 << 22) ? 0 : int(vocab_abs);  // validate() reports it
  c.max_seq_len = h.seq_len;
  c.tied_embeddings = h.vocab_size > 0;
  c.rope_layout = RopeLayout::interleaved;
  c.norm_eps = 1e-5f;
  c.rope_theta = 10000.0f;
  c.bos_id = 1;
  c.eos_ids = {2};
  if (c.n_heads <= 0 || c.dim % c.n_heads != 0)
    fail("{}: dim = {} is not a multiple of n_heads = {}", path, c.dim, c.n_heads);
  c.head_dim = c.dim / c.n_heads;
  c.validate(path);

  const int64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers, vocab = c.vocab_size;
  const int64_t kv_dim = c.kv_dim();
  const int64_t rope_table = int64_t(c.max_seq_len) * (c.head_dim / 2);

  // Check the exact size before taking any pointer, so a truncated or padded
  // file is reported as such rather than as a wrong tensor.
  const int64_t floats = vocab * dim + layers * dim * 2 + layers * dim * dim * 2 + layers * kv_dim * dim * 2 +
                         layers * hidden * dim * 3 + dim + rope_table * 2 + (c.tied_embeddings ? 0 : vocab * dim);
  const uint64_t expected = 28 + uint64_t(floats) * 4;
  if (bytes.size() != expected)
    fail("{}: file is {} bytes, but its header (dim {}, hidden_dim {}, n_layers {}, n_heads {}, n_kv_heads {}, "
         "vocab_size {}, seq_len {}) implies {} bytes",
         path, bytes.size(), h.dim, h.hidden_dim, h.n_layers, h.n_heads, h.n_kv_heads, h.vocab_size, h.seq_len,
         expected);

  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    Tensor t;
    t.dtype = DType::f32;
    t.shape = std::move(shape);
    t.nbytes = size_t(t.numel()) * 4;
    t.data = in.skip(t.nbytes, name);
    t.origin = path;
    ck->tensors[name] = std::move(t);
  };
  // Each per-layer array is stored for all layers at once: split it by layer.
  auto add_layers = [&](const std::string& suffix, std::vector<int64_t> shape) {
    for (int64_t l = 0; l < layers; ++l) add("layers." + std::to_string(l) + "." + suffix, shape);
  };
  add("tok_embeddings.weight", {vocab, dim});
  add_layers("attention_norm.weight", {dim});
  add_layers("attention.wq.weight", {dim, dim});
  add_layers("attention.wk.weight", {kv_dim, dim});
  add_layers("attention.wv.weight", {kv_dim, dim});
  add_layers("attention.wo.weight", {dim, dim});
  add_layers("ffn_norm.weight", {dim});
  add_layers("feed_forward.w1.weight", {hidden, dim});
  add_layers("feed_forward.w2.weight", {dim, hidden});
  add_layers("feed_forward.w3.weight", {hidden, dim});
  add("norm.weight", {dim});
  in.skip(size_t(rope_table) * 2 * 4, "freq_cis tables");  // legacy RoPE tables, recomputed at run time
  if (!c.tied_embeddings) add("output.weight", {vocab, dim});
  return ck;
}

}  // namespace llamafast
