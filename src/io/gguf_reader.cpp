// GGUF checkpoints (general.architecture = llama): hyper-parameters from the
// llama.* metadata keys, tensors renamed from llama.cpp's names to Meta's and
// used in place from the mapping (Q8_0 / Q4_0 blocks too, described by a
// QuantLayout). The vocabulary is in the same file, so the file is its own
// tokenizer_path.
#include <cmath>
#include <limits>
#include <optional>

#include "common/error.h"
#include "io/gguf.h"
#include "model/checkpoint.h"

namespace llamafast {

namespace {

// llama.cpp's tensor names -> Meta's ("blk.N." prefix handled by the caller).
constexpr std::pair<std::string_view, std::string_view> kLayerNames[] = {
    {"attn_q.weight", "attention.wq.weight"},       {"attn_k.weight", "attention.wk.weight"},
    {"attn_v.weight", "attention.wv.weight"},       {"attn_output.weight", "attention.wo.weight"},
    {"ffn_gate.weight", "feed_forward.w1.weight"},  {"ffn_down.weight", "feed_forward.w2.weight"},
    {"ffn_up.weight", "feed_forward.w3.weight"},    {"attn_norm.weight", "attention_norm.weight"},
    {"ffn_norm.weight", "ffn_norm.weight"},
};

// The Meta name of a GGUF tensor, or "" for tensors the model does not use.
std::string meta_name(const std::string& name) {
  if (name == "token_embd.weight") return "tok_embeddings.weight";
  if (name == "output_norm.weight") return "norm.weight";
  if (name == "output.weight") return "output.weight";
  if (name.rfind("blk.", 0) != 0) return "";
  const size_t dot = name.find('.', 4);
  if (dot == std::string::npos || dot == 4) return "";
  const std::string_view layer(name.data() + 4, dot - 4);
  for (char c : layer)
    if (c < '0' || c > '9') return "";
  const std::string_view rest(name.data() + dot + 1, name.size() - dot - 1);
  for (const auto& [gguf, meta] : kLayerNames)
    if (rest == gguf) return "layers." + std::string(layer) + "." + std::string(meta);
  return "";
}

Tensor to_tensor(const GgufTensor& g, const std::string& path) {
  Tensor t;
  t.origin = path;
  t.nbytes = g.nbytes;
  t.data = g.data;
  for (auto d = g.dims.rbegin(); d != g.dims.rend(); ++d) t.shape.push_back(*d);  // outermost first
  switch (g.type) {
    case GgmlType::f32: t.dtype = DType::f32; break;
    case GgmlType::f16: t.dtype = DType::f16; break;
    case GgmlType::bf16: t.dtype = DType::bf16; break;
    case GgmlType::q8_0:
    case GgmlType::q4_0: {
      // A block is an f16 scale then the group's integers; see QuantLayout.
      const bool q8 = g.type == GgmlType::q8_0;
      const size_t block = q8 ? 34 : 18;
      const size_t row_bytes = static_cast<size_t>(g.dims[0] / kGgmlBlock) * block;
      t.dtype = q8 ? DType::q8 : DType::q4;
      t.data = g.data + 2;
      t.quant = {.group = int(kGgmlBlock),
                 .row_stride = row_bytes,
                 .group_stride = block,
                 .scales = g.data,
                 .scale_dtype = DType::f16,
                 .scale_row_stride = row_bytes,
                 .scale_group_stride = block};
      break;
    }
  }
  // Elements are read in place: their natural alignment is the kernels' only demand.
  const size_t align = t.dtype == DType::f32 ? 4 : 2;
  if (reinterpret_cast<uintptr_t>(g.data) % align != 0)
    fail("{}: tensor {} is not {}-byte aligned in the file", path, g.name, align);
  return t;
}

// A non-negative int from the metadata; without a fallback the key is required.
int count(const GgufFile& g, const std::string& key, std::optional<int> fallback = std::nullopt) {
  const auto v = g.integer(key);
  if (!v) {
    if (!fallback) fail("{}: missing metadata key {}", g.file, key);
    return *fallback;
  }
  if (*v < 0 || *v > std::numeric_limits<int>::max()) fail("{}: {} is {}, out of range", g.file, key, *v);
  return int(*v);
}

// A special token id: absent or u32's all-ones (llama.cpp's "none") is -1.
int token_id(const GgufFile& g, const std::string& key) {
  const auto v = g.integer(key);
  if (!v || *v == 0xffffffff || *v < 0 || *v > std::numeric_limits<int>::max()) return -1;
  return int(*v);
}

void read_config(const GgufFile& g, ModelConfig& c) {
  const std::string arch = g.string("general.architecture").value_or("");
  if (arch != "llama") fail("{}: general.architecture is \"{}\"; llamafast reads llama GGUF files", g.file, arch);
  c.dim = count(g, "llama.embedding_length");
  c.hidden_dim = count(g, "llama.feed_forward_length");
  c.n_layers = count(g, "llama.block_count");
  c.n_heads = count(g, "llama.attention.head_count");
  c.n_kv_heads = count(g, "llama.attention.head_count_kv", c.n_heads);
  if (c.n_heads <= 0) fail("{}: llama.attention.head_count is 0", g.file);
  c.head_dim = count(g, "llama.attention.key_length", c.dim / c.n_heads);
  if (count(g, "llama.attention.value_length", c.head_dim) != c.head_dim)
    fail("{}: llama.attention.value_length differs from key_length; llamafast needs them equal", g.file);
  if (const int rot = count(g, "llama.rope.dimension_count", c.head_dim); rot != c.head_dim)
    fail("{}: llama.rope.dimension_count is {} but heads have {} dimensions; partial RoPE is not supported", g.file,
         rot, c.head_dim);
  c.max_seq_len = count(g, "llama.context_length");
  c.norm_eps = float(g.number("llama.attention.layer_norm_rms_epsilon").value_or(1e-5));
  c.rope_theta = float(g.number("llama.rope.freq_base").value_or(10000.0));
  if (!(c.norm_eps > 0) || !(c.rope_theta > 0) || !std::isfinite(c.rope_theta))
    fail("{}: layer_norm_rms_epsilon and rope.freq_base must be positive", g.file);
  if (const auto s = g.string("llama.rope.scaling.type"); s && *s != "none")
    fail("{}: llama.rope.scaling.type \"{}\" is not supported", g.file, *s);
  // llama.cpp's converter stores q and k in Meta's order (pairs interleaved).
  c.rope_layout = RopeLayout::interleaved;
  c.bos_id = token_id(g, "tokenizer.ggml.bos_token_id");
  if (const int eos = token_id(g, "tokenizer.ggml.eos_token_id"); eos >= 0) c.eos_ids = {eos};
}

}  // namespace

std::unique_ptr<Checkpoint> parse_gguf_checkpoint(std::span<const std::byte> bytes, const std::string& path) {
  const GgufFile g = parse_gguf(bytes, path);
  auto ck = std::make_unique<Checkpoint>();
  ck->source = path;
  ck->format = fmt::format("gguf-v{}", g.version);
  read_config(g, ck->config);
  for (const GgufTensor& gt : g.tensors) {
    if (gt.name == "rope_freqs.weight")
      fail("{}: has rope_freqs (Llama 3.1 RoPE scaling), which llamafast does not read from GGUF yet", path);
    const std::string name = meta_name(gt.name);
    if (!name.empty()) ck->tensors[name] = to_tensor(gt, path);
  }
  auto embd = ck->tensors.find("tok_embeddings.weight");
  if (embd == ck->tensors.end() || embd->second.shape.size() != 2)
    fail("{}: missing tensor token_embd.weight (2-D)", path);
  ModelConfig& c = ck->config;
  c.vocab_size = int(embd->second.shape[0]);
  c.tied_embeddings = !ck->tensors.contains("output.weight");
  c.validate(path);
  return ck;
}

std::unique_ptr<Checkpoint> read_gguf(const std::string& path) {
  MappedFile file = MappedFile::open(path);
  auto ck = parse_gguf_checkpoint(file.bytes(), path);
  ck->keep(std::move(file));
  ck->tokenizer_path = path;
  return ck;
}

}  // namespace llamafast
