// Meta checkpoints (params.json + consolidated.NN.pth, one shard per model-
// parallel rank) and gpt-fast / torchchat model.pth files. Both already use
// Meta's tensor names and the interleaved RoPE row layout; gpt-fast fuses
// q, k and v into one attention.wqkv matrix, which is split here into views.
//
// A single file is used in place. Model-parallel shards are merged: one owned
// buffer per merged tensor, filling it from one mapped shard at a time, so the
// peak is the model's size plus one shard's pages, not twice the model.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/pth_reader.h"
#include "model/checkpoint.h"

namespace llamafast {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ------------------------------------------------------------------ params

// What a params file says; any field may be absent (then it comes from shapes).
struct Params {
  std::string file;  // empty: there was none
  std::optional<int> dim, n_layers, n_heads, n_kv_heads, vocab_size, hidden_dim, head_dim, max_seq_len;
  int multiple_of = 256;  // Meta's ModelArgs default
  std::optional<double> ffn_dim_multiplier;
  bool hidden_from_rule = false;  // multiple_of / ffn_dim_multiplier were given (Meta params.json)
  float norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopeScaling rope_scaling;
};

json read_json_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) fail("{}: cannot open", path);
  try {
    return json::parse(f);
  } catch (const json::exception& e) {
    fail("{}: invalid JSON: {}", path, e.what());
  }
}

// The first of `keys` present and not null.
const json* find_field(const json& j, std::initializer_list<const char*> keys, const char** found = nullptr) {
  for (const char* k : keys)
    if (j.contains(k) && !j[k].is_null()) {
      if (found) *found = k;
      return &j[k];
    }
  return nullptr;
}

template <class T>
std::optional<T> number_field(const json& j, std::initializer_list<const char*> keys, const std::string& file) {
  const char* key = nullptr;
  const json* v = find_field(j, keys, &key);
  if (!v) return std::nullopt;
  if (!v->is_number() || (std::is_integral_v<T> && !v->is_number_integer()))
    fail("{}: field '{}' must be {}", file, key, std::is_integral_v<T> ? "an integer" : "a number");
  const double d = v->get<double>();
  if (std::is_integral_v<T> && (d < -2147483648.0 || d > 2147483647.0)) fail("{}: field '{}' = {} is out of range", file, key, d);
  return v->get<T>();
}

// Meta params.json (dim, n_layers, n_heads, n_kv_heads, multiple_of, ...), gpt-fast
// ModelArgs (n_layer, n_head, n_local_heads, intermediate_size, rope_base,
// block_size, ...) and torchchat's mix of the two share one reader.
Params read_params(const std::string& path) {
  Params p;
  if (path.empty()) return p;
  p.file = path;
  const json j = read_json_file(path);
  if (!j.is_object()) fail("{}: expected a JSON object of model parameters", path);
  p.dim = number_field<int>(j, {"dim"}, path);
  p.n_layers = number_field<int>(j, {"n_layers", "n_layer"}, path);
  p.n_heads = number_field<int>(j, {"n_heads", "n_head"}, path);
  p.n_kv_heads = number_field<int>(j, {"n_kv_heads", "n_local_heads"}, path);
  if (p.n_kv_heads && *p.n_kv_heads < 0) p.n_kv_heads.reset();  // gpt-fast: -1 = n_head
  p.vocab_size = number_field<int>(j, {"vocab_size"}, path);
  if (p.vocab_size && *p.vocab_size < 0) p.vocab_size.reset();  // Llama 1: -1 = from the tokenizer
  p.hidden_dim = number_field<int>(j, {"intermediate_size", "hidden_dim"}, path);
  p.head_dim = number_field<int>(j, {"head_dim"}, path);
  p.max_seq_len = number_field<int>(j, {"max_seq_len", "block_size"}, path);
  if (auto m = number_field<int>(j, {"multiple_of"}, path)) {
    if (*m <= 0 || *m > (1 << 20)) fail("{}: multiple_of = {} is out of range", path, *m);
    p.multiple_of = *m;
    p.hidden_from_rule = true;
  }
  p.ffn_dim_multiplier = number_field<double>(j, {"ffn_dim_multiplier"}, path);
  if (p.ffn_dim_multiplier) {
    if (!(*p.ffn_dim_multiplier > 0 && *p.ffn_dim_multiplier < 64))
      fail("{}: ffn_dim_multiplier = {} is out of range", path, *p.ffn_dim_multiplier);
    p.hidden_from_rule = true;
  }
  p.norm_eps = number_field<float>(j, {"norm_eps"}, path).value_or(p.norm_eps);
  p.rope_theta = number_field<float>(j, {"rope_theta", "rope_base"}, path).value_or(p.rope_theta);

  if (const json* scaled = find_field(j, {"use_scaled_rope"})) {
    if (!scaled->is_boolean()) fail("{}: field 'use_scaled_rope' must be true or false", path);
    p.rope_scaling.enabled = scaled->get<bool>();  // Llama 3.1: the RopeScaling defaults (8, 1, 4, 8192)
  }
  if (const json* s = find_field(j, {"rope_scaling"})) {  // gpt-fast: the same four numbers, spelled out
    if (!s->is_object()) fail("{}: field 'rope_scaling' must be an object", path);
    RopeScaling& r = p.rope_scaling;
    r.enabled = true;
    r.factor = number_field<float>(*s, {"factor"}, path).value_or(r.factor);
    r.low_freq_factor = number_field<float>(*s, {"low_freq_factor"}, path).value_or(r.low_freq_factor);
    r.high_freq_factor = number_field<float>(*s, {"high_freq_factor"}, path).value_or(r.high_freq_factor);
    r.original_max_position_embeddings =
        number_field<int>(*s, {"original_max_position_embeddings"}, path).value_or(r.original_max_position_embeddings);
  }
  return p;
}

// Meta's FeedForward size: int(2 * 4 * dim / 3), times ffn_dim_multiplier (truncated),
// rounded up to a multiple of multiple_of.
int64_t meta_hidden_dim(int64_t dim, int64_t multiple_of, std::optional<double> multiplier) {
  int64_t hidden = 8 * dim / 3;
  if (multiplier) hidden = int64_t(*multiplier * double(hidden));
  return multiple_of * ((hidden + multiple_of - 1) / multiple_of);
}

// ------------------------------------------------------------------ names

const char* const kLayerTensors[] = {
    "attention.wq.weight", "attention.wk.weight",    "attention.wv.weight",    "attention.wo.weight",
    "attention.wqkv.weight", "feed_forward.w1.weight", "feed_forward.w2.weight", "feed_forward.w3.weight",
    "attention_norm.weight", "ffn_norm.weight",
};

// The layer index of "layers.N.<suffix>", or -1 if `name` is no per-layer tensor the runtime uses.
int layer_of(std::string_view name) {
  if (!name.starts_with("layers.")) return -1;
  name.remove_prefix(7);
  int layer = -1;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), layer);
  if (ec != std::errc() || layer < 0 || layer >= 4096 || end == name.data() + name.size() || *end != '.') return -1;
  const std::string_view suffix(end + 1, name.data() + name.size() - end - 1);
  for (const char* s : kLayerTensors)
    if (suffix == s) return layer;
  return -1;
}

// Tensors the runtime uses (others, such as Llama 2's rope.freqs, are skipped).
bool is_model_tensor(const std::string& name) {
  return name == "tok_embeddings.weight" || name == "norm.weight" || name == "output.weight" || layer_of(name) >= 0;
}

// Meta model-parallel layout: ColumnParallelLinear (wq wk wv w1 w3 output) splits the
// output rows, RowParallelLinear (wo w2) the input columns, norms are replicated.
// The embedding's axis depends on the Llama generation (see plan_merge). -1: replicated.
int split_axis(const std::string& name) {
  if (name.ends_with("norm.weight")) return -1;
  if (name.ends_with("attention.wo.weight") || name.ends_with("feed_forward.w2.weight")) return 1;
  return 0;
}

using Shapes = std::map<std::string, std::vector<int64_t>>;

const std::vector<int64_t>* find_shape(const Shapes& shapes, const std::string& name, size_t rank) {
  auto it = shapes.find(name);
  return it != shapes.end() && it->second.size() == rank ? &it->second : nullptr;
}

// The context length when the params file has none: what Meta released with
// each generation (Llama 2: 4096, Llama 3: 8192, Llama 3.1+ with scaled RoPE: 131072).
int default_context(const ModelConfig& c) {
  if (c.rope_scaling.enabled) return 131072;
  return c.vocab_size >= 128000 ? 8192 : 4096;
}

// The config from the params file, filling in from the tensor shapes what it
// leaves out; `notes` says which fields came from where (shown by --verbose).
ModelConfig make_config(const Params& p, const Shapes& shapes, const std::string& source,
                        std::vector<std::string>& notes) {
  const std::string& where = p.file.empty() ? source : p.file;
  notes.push_back(p.file.empty() ? "no params file: hyper-parameters from tensor shapes and defaults"
                                 : "hyper-parameters from " + p.file);
  const auto inferred = [&](const char* field, const char* from) {
    notes.push_back(fmt::format("{} inferred from {}", field, from));
  };
  ModelConfig c;
  const auto* emb = find_shape(shapes, "tok_embeddings.weight", 2);
  auto from_shapes = [&](const char* field) -> int64_t {
    fail("{}: {} is not given{} and there is no tok_embeddings.weight to infer it from", where, field,
         p.file.empty() ? " (no params.json; pass --params)" : "");
  };
  c.dim = int(p.dim ? *p.dim : emb ? (*emb)[1] : from_shapes("dim"));
  if (!p.dim) inferred("dim", "tok_embeddings.weight");
  c.vocab_size = int(p.vocab_size ? *p.vocab_size : emb ? (*emb)[0] : from_shapes("vocab_size"));
  if (!p.vocab_size) inferred("vocab_size", "tok_embeddings.weight");
  if (p.n_layers) {
    c.n_layers = *p.n_layers;
  } else {
    for (const auto& [name, shape] : shapes) c.n_layers = std::max(c.n_layers, layer_of(name) + 1);
    inferred("n_layers", "the layer numbers in tensor names");
  }
  if (!p.n_heads)
    fail("{}: n_heads is not given{}, and it cannot be inferred from tensor shapes (they fix n_heads * head_dim, "
         "not either one); give a params file with n_heads",
         where, p.file.empty() ? " (no params.json or model_args.json beside the model; pass --params)" : "");
  c.n_heads = *p.n_heads;
  if (c.n_heads <= 0) fail("{}: n_heads = {} must be positive", where, c.n_heads);
  if (p.head_dim) {
    c.head_dim = *p.head_dim;
  } else {
    if (c.dim % c.n_heads != 0) fail("{}: dim = {} is not a multiple of n_heads = {}", where, c.dim, c.n_heads);
    c.head_dim = c.dim / c.n_heads;
  }
  if (c.head_dim <= 0) fail("{}: head_dim = {} must be positive", where, c.head_dim);

  if (p.n_kv_heads) {
    c.n_kv_heads = *p.n_kv_heads;
  } else if (const auto* wk = find_shape(shapes, "layers.0.attention.wk.weight", 2)) {
    c.n_kv_heads = int((*wk)[0] / c.head_dim);
    inferred("n_kv_heads", "layers.0.attention.wk.weight");
  } else if (const auto* wqkv = find_shape(shapes, "layers.0.attention.wqkv.weight", 2)) {
    c.n_kv_heads = int(((*wqkv)[0] - int64_t(c.n_heads) * c.head_dim) / 2 / c.head_dim);
    inferred("n_kv_heads", "layers.0.attention.wqkv.weight");
  } else {
    c.n_kv_heads = c.n_heads;
  }

  // The FFN width: given (intermediate_size), or Meta's rule from multiple_of and
  // ffn_dim_multiplier checked against w1/w2/w3, or, when the params say nothing
  // about it, the weights' own.
  const auto* w1 = find_shape(shapes, "layers.0.feed_forward.w1.weight", 2);
  const auto* w2 = find_shape(shapes, "layers.0.feed_forward.w2.weight", 2);
  const auto* w3 = find_shape(shapes, "layers.0.feed_forward.w3.weight", 2);
  const bool weights_agree = w1 && w2 && w3 && (*w1)[0] == (*w3)[0] && (*w1)[0] == (*w2)[1];
  if (p.hidden_dim) {
    c.hidden_dim = *p.hidden_dim;
  } else if (!p.hidden_from_rule && w1) {
    c.hidden_dim = int((*w1)[0]);
    inferred("hidden_dim", "layers.0.feed_forward.w1.weight");
  } else {
    const int64_t rule = meta_hidden_dim(c.dim, p.multiple_of, p.ffn_dim_multiplier);
    if (weights_agree && (*w1)[0] != rule)
      fail("{}: dim {}, multiple_of {} and ffn_dim_multiplier {} give a hidden size of {}, but the weights (w1, w2, "
           "w3) have {}: the params file does not match this checkpoint",
           where, c.dim, p.multiple_of, p.ffn_dim_multiplier ? fmt::format("{}", *p.ffn_dim_multiplier) : "null",
           rule, (*w1)[0]);
    c.hidden_dim = int(rule);
  }

  c.norm_eps = p.norm_eps;
  c.rope_theta = p.rope_theta;
  c.rope_scaling = p.rope_scaling;
  c.rope_layout = RopeLayout::interleaved;
  c.tied_embeddings = !shapes.count("output.weight");
  c.max_seq_len = p.max_seq_len ? *p.max_seq_len : default_context(c);
  if (!p.max_seq_len) notes.push_back(fmt::format("max_seq_len not given: {} assumed", c.max_seq_len));
  // bos/eos: Meta files do not say; the tokenizer fills them in.
  c.validate(where);
  return c;
}

// ------------------------------------------------------------------ files

std::string beside(const fs::path& model, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (const fs::path p = model.parent_path() / n; fs::exists(p)) return p.string();
  return {};
}

void add_tokenizer(Checkpoint& ck, const fs::path& dir) {
  if (const fs::path tok = dir / "tokenizer.model"; fs::exists(tok)) ck.tokenizer_path = tok.string();
}

// consolidated.NN.pth files of a directory, in rank order; they must be 00, 01, ... with no gap.
std::vector<std::string> find_shards(const fs::path& dir) {
  static const std::regex shard(R"(consolidated\.(\d+)\.pth)");
  std::map<int, std::string> by_rank;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, shard) || m[1].length() > 4) continue;
    by_rank[std::stoi(m[1])] = entry.path().string();
  }
  std::vector<std::string> out;
  for (const auto& [rank, path] : by_rank) {
    if (rank != int(out.size()))
      fail("{}: model-parallel shard consolidated.{:02d}.pth is missing (found {})", dir.string(), out.size(),
           fs::path(path).filename().string());
    out.push_back(path);
  }
  return out;
}

void check_not_quantized(const std::map<std::string, PthTensor>& sd, const std::string& file) {
  for (const auto& [name, t] : sd)
    if (name.ends_with(".scales") || name.ends_with(".scales_and_zeros"))
      fail("{}: tensor {:?}: the weights are quantized (gpt-fast/torchchat int8 or int4); llamafast reads float32, "
           "float16 and bfloat16 checkpoints",
           file, name);
}

// A single .pth used in place: its tensors are views into the mapping.
void add_in_place(Checkpoint& ck, const std::map<std::string, PthTensor>& sd, const std::string& file) {
  check_not_quantized(sd, file);
  for (const auto& [name, t] : sd)
    if (is_model_tensor(name)) ck.tensors[name] = checkpoint_tensor(t, name, file, ck);
}

// gpt-fast's attention.wqkv [q_dim + 2 kv_dim, dim] -> wq, wk, wv: three row ranges, no copy.
void split_fused_qkv(Checkpoint& ck) {
  const ModelConfig& c = ck.config;
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string prefix = fmt::format("layers.{}.attention.", l);
    auto it = ck.tensors.find(prefix + "wqkv.weight");
    if (it == ck.tensors.end()) continue;
    const Tensor qkv = it->second;
    ck.tensors.erase(it);
    const int64_t rows[3] = {c.q_dim(), c.kv_dim(), c.kv_dim()};
    if (qkv.shape.size() != 2 || qkv.shape[0] != rows[0] + rows[1] + rows[2])
      fail("{}: tensor '{}wqkv.weight' has shape [{}], but n_heads {}, n_kv_heads {} and head_dim {} need {} rows "
           "(q {} + k {} + v {})",
           qkv.origin, prefix, fmt::join(qkv.shape, ", "), c.n_heads, c.n_kv_heads, c.head_dim,
           rows[0] + rows[1] + rows[2], rows[0], rows[1], rows[2]);
    const size_t row_bytes = size_t(qkv.shape[1]) * dtype_size(qkv.dtype);
    const char* names[3] = {"wq.weight", "wk.weight", "wv.weight"};
    size_t offset = 0;
    for (int i = 0; i < 3; ++i) {
      Tensor t = qkv;
      t.shape = {rows[i], qkv.shape[1]};
      t.data = static_cast<const std::byte*>(qkv.data) + offset;
      t.nbytes = size_t(rows[i]) * row_bytes;
      offset += t.nbytes;
      if (!ck.tensors.emplace(prefix + names[i], std::move(t)).second)
        fail("{}: layer {} has both attention.wqkv.weight and attention.{}", qkv.origin, l, names[i]);
    }
  }
}

Shapes shapes_of(const Checkpoint& ck) {
  Shapes s;
  for (const auto& [name, t] : ck.tensors) s[name] = t.shape;
  return s;
}

// ------------------------------------------------------------------ merging shards

struct MergePlan {
  DType dtype;
  std::vector<int64_t> shape;             // merged
  int axis = -1;                          // -1: replicated
  std::vector<int64_t> offsets;                  // per shard: start along `axis`
  std::vector<std::vector<int64_t>> shard_shapes;  // per shard
};

// Shapes, dtypes and split axes of every tensor from a first pass over the shards.
std::map<std::string, MergePlan> plan_merge(const std::vector<std::string>& shards, const Params& params) {
  std::map<std::string, MergePlan> plan;
  std::vector<std::map<std::string, std::pair<DType, std::vector<int64_t>>>> seen(shards.size());
  for (size_t s = 0; s < shards.size(); ++s) {
    const MappedFile file = MappedFile::open(shards[s]);
    const auto sd = read_pth(file.bytes(), shards[s]);
    check_not_quantized(sd, shards[s]);
    for (const auto& [name, t] : sd) {
      if (!is_model_tensor(name)) continue;
      DType dt;
      if (!runtime_dtype(t.dtype, &dt))
        fail("{}: tensor {:?} is {}; llamafast reads float32, float16 and bfloat16 weights", shards[s], name,
             torch_dtype_name(t.dtype));
      seen[s][name] = {dt, t.shape};
    }
  }
  // The embedding's split: Llama 2's ParallelEmbedding splits dim (axis 1), Llama 3's
  // VocabParallelEmbedding the vocabulary (axis 0). The replicated norm.weight has length dim.
  int64_t dim = params.dim ? *params.dim : 0;
  if (auto it = seen[0].find("norm.weight"); it != seen[0].end() && it->second.second.size() == 1)
    dim = it->second.second[0];

  for (const auto& [name, first] : seen[0]) {
    MergePlan p;
    p.dtype = first.first;
    p.axis = split_axis(name);
    if (name == "tok_embeddings.weight" && first.second.size() == 2) {
      const int64_t cols = first.second[1];
      p.axis = cols == dim ? 0 : cols * int64_t(shards.size()) == dim ? 1 : -2;
      if (p.axis == -2)
        fail("{}: tok_embeddings.weight is [{}] in each of {} shards, which splits neither the vocabulary nor dim {}",
             shards[0], fmt::join(first.second, ", "), shards.size(), dim);
    }
    if (p.axis >= int(first.second.size()))
      fail("{}: tensor {:?} has shape [{}]; a model-parallel shard of it needs {} dimensions", shards[0], name,
           fmt::join(first.second, ", "), p.axis + 1);
    p.shape = first.second;
    if (p.axis >= 0) p.shape[size_t(p.axis)] = 0;
    for (size_t s = 0; s < shards.size(); ++s) {
      auto it = seen[s].find(name);
      if (it == seen[s].end()) fail("{}: tensor {:?} is missing (it is in {})", shards[s], name, shards[0]);
      const auto& [dt, shape] = it->second;
      if (dt != p.dtype)
        fail("{}: tensor {:?} is {} but {} in {}", shards[s], name, dtype_name(dt), dtype_name(p.dtype), shards[0]);
      bool fits = shape.size() == first.second.size();
      for (size_t d = 0; fits && d < shape.size(); ++d) fits = int(d) == p.axis || shape[d] == first.second[d];
      if (!fits)
        fail("{}: tensor {:?} has shape [{}], which does not stack with [{}] from {}{}", shards[s], name,
             fmt::join(shape, ", "), fmt::join(first.second, ", "), shards[0],
             p.axis < 0 ? " (it is replicated)" : fmt::format(" along dimension {}", p.axis));
      p.shard_shapes.push_back(shape);
      if (p.axis >= 0) {
        p.offsets.push_back(p.shape[size_t(p.axis)]);
        p.shape[size_t(p.axis)] += shape[size_t(p.axis)];
      }
    }
    plan.emplace(name, std::move(p));
  }
  for (size_t s = 1; s < shards.size(); ++s)
    for (const auto& [name, t] : seen[s])
      if (!seen[0].count(name)) fail("{}: tensor {:?} is missing (it is in {})", shards[0], name, shards[s]);
  return plan;
}

// Copies every shard's piece of every tensor into one buffer per tensor,
// releasing each piece's pages once copied.
void merge_shards(Checkpoint& ck, const std::vector<std::string>& shards, const std::map<std::string, MergePlan>& plan) {
  const std::string origin = (fs::path(shards[0]).parent_path() / "consolidated.*.pth").string();
  std::map<std::string, std::byte*> merged;  // name -> its buffer, row-major in the merged shape
  for (const auto& [name, p] : plan) {
    Tensor t;
    t.dtype = p.dtype;
    t.shape = p.shape;
    t.nbytes = size_t(t.numel()) * dtype_size(p.dtype);
    t.origin = origin;
    std::unique_ptr<std::byte[]> buf(new std::byte[t.nbytes]);
    t.data = merged[name] = buf.get();
    ck.buffers.push_back(std::move(buf));
    ck.tensors[name] = std::move(t);
  }
  for (size_t s = 0; s < shards.size(); ++s) {
    const MappedFile file = MappedFile::open(shards[s]);  // unmapped at the end of this iteration
    const auto sd = read_pth(file.bytes(), shards[s]);
    for (const auto& [name, p] : plan) {
      // The file is read twice; make sure it did not change in between.
      auto it = sd.find(name);
      DType dt;
      if (it == sd.end() || it->second.shape != p.shard_shapes[s] || !runtime_dtype(it->second.dtype, &dt) ||
          dt != p.dtype)
        fail("{}: tensor {:?} changed while the checkpoint was being read", shards[s], name);
      const PthTensor& piece = it->second;
      const size_t elem = dtype_size(p.dtype);
      std::byte* out = merged.at(name);
      const std::vector<int64_t> stride = row_major_strides(p.shape);
      if (p.axis >= 0) {
        out += size_t(p.offsets[s] * stride[size_t(p.axis)]) * elem;
        copy_strided(out, stride, piece.data(), piece.stride, piece.shape, elem);
      } else if (s == 0) {
        copy_strided(out, stride, piece.data(), piece.stride, piece.shape, elem);
      } else {
        // Replicated (norms): every rank must hold the same values.
        std::vector<std::byte> copy(piece.nbytes());
        copy_strided(copy.data(), stride, piece.data(), piece.stride, piece.shape, elem);
        if (std::memcmp(copy.data(), out, copy.size()) != 0)
          fail("{}: tensor {:?} differs from {}, but model-parallel ranks replicate it", shards[s], name, shards[0]);
      }
      file.release(piece.data(), piece.nbytes());  // the copy is all we keep: peak RSS stays ~1x the model
    }
  }
}

std::unique_ptr<Checkpoint> read_meta_shards(const std::vector<std::string>& shards, const std::string& params_path,
                                             const std::string& source) {
  auto ck = std::make_unique<Checkpoint>();
  ck->source = source;
  ck->format = "meta-pth";
  const Params params = read_params(params_path);
  if (shards.size() == 1) {
    const MappedFile& file = ck->keep(MappedFile::open(shards[0]));
    add_in_place(*ck, read_pth(file.bytes(), shards[0]), shards[0]);
  } else {
    merge_shards(*ck, shards, plan_merge(shards, params));
  }
  ck->config = make_config(params, shapes_of(*ck), shards[0], ck->notes);
  add_tokenizer(*ck, fs::path(shards[0]).parent_path());
  return ck;
}

}  // namespace

std::unique_ptr<Checkpoint> read_meta_directory(const std::string& dir, const std::string& params_path) {
  const std::vector<std::string> shards = find_shards(dir);
  if (shards.empty()) fail("{}: no consolidated.NN.pth files in this directory", dir);
  std::string params = params_path;
  if (params.empty()) {
    params = (fs::path(dir) / "params.json").string();
    if (!fs::exists(params)) fail("{}: no params.json beside the consolidated.*.pth files (or pass --params)", dir);
  }
  return read_meta_shards(shards, params, dir);
}

std::unique_ptr<Checkpoint> read_pth_checkpoint(const std::string& path, const std::string& params_path) {
  const fs::path p(path);
  // One rank of a model-parallel checkpoint: read them all.
  static const std::regex shard_name(R"(consolidated\.\d+\.pth)");
  if (std::regex_match(p.filename().string(), shard_name)) {
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    if (find_shards(dir).size() > 1) {
      std::string params = params_path.empty() ? beside(p, {"params.json"}) : params_path;
      if (params.empty()) fail("{}: no params.json beside this shard (or pass --params)", path);
      return read_meta_shards(find_shards(dir), params, dir.string());
    }
  }

  auto ck = std::make_unique<Checkpoint>();
  ck->source = path;
  const MappedFile& file = ck->keep(MappedFile::open(path));
  const auto sd = read_pth(file.bytes(), path);
  const bool fused = std::any_of(sd.begin(), sd.end(), [](const auto& kv) { return kv.first.ends_with(".attention.wqkv.weight"); });
  ck->format = fused ? "gptfast-pth" : "meta-pth";
  add_in_place(*ck, sd, path);
  const std::string params = params_path.empty() ? beside(p, {"params.json", "model_args.json"}) : params_path;
  ck->config = make_config(read_params(params), shapes_of(*ck), path, ck->notes);
  split_fused_qkv(*ck);
  add_tokenizer(*ck, p.parent_path().empty() ? fs::path(".") : p.parent_path());
  return ck;
}

}  // namespace llamafast
