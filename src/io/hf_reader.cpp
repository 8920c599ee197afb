// Hugging Face model directories: config.json plus model.safetensors, or shards
// listed in model.safetensors.index.json. Tensors are renamed to Meta's names;
// q/k projections keep HF's half-split rotary layout (the runtime handles both).
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/safetensors.h"
#include "model/checkpoint.h"

namespace llamafast {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json read_json(const fs::path& p) {
  std::ifstream f(p);
  if (!f) fail("{}: cannot open", p.string());
  try {
    return json::parse(f);
  } catch (const json::exception& e) {
    fail("{}: invalid JSON: {}", p.string(), e.what());
  }
}

template <class T>
T field(const json& j, const char* key, const std::string& file) {
  if (!j.contains(key) || j[key].is_null()) fail("{}: missing field '{}'", file, key);
  try {
    return j[key].get<T>();
  } catch (const json::exception&) {
    fail("{}: field '{}' has the wrong type", file, key);
  }
}

template <class T>
T field_or(const json& j, const char* key, T fallback, const std::string& file) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  return field<T>(j, key, file);
}

ModelConfig parse_hf_config(const json& j, const std::string& file) {
  ModelConfig c;
  const std::string type = field_or<std::string>(j, "model_type", "llama", file);
  if (type != "llama" && type != "mistral")
    fail("{}: model_type '{}' is not a Llama-family architecture (llama, mistral)", file, type);
  c.dim = field<int>(j, "hidden_size", file);
  c.hidden_dim = field<int>(j, "intermediate_size", file);
  c.n_layers = field<int>(j, "num_hidden_layers", file);
  c.n_heads = field<int>(j, "num_attention_heads", file);
  c.n_kv_heads = field_or<int>(j, "num_key_value_heads", c.n_heads, file);
  if (c.n_heads <= 0) fail("{}: num_attention_heads = {} must be positive", file, c.n_heads);
  c.head_dim = field_or<int>(j, "head_dim", c.dim / c.n_heads, file);
  c.vocab_size = field<int>(j, "vocab_size", file);
  c.max_seq_len = field_or<int>(j, "max_position_embeddings", 2048, file);
  c.norm_eps = field_or<float>(j, "rms_norm_eps", 1e-6f, file);
  c.rope_theta = field_or<float>(j, "rope_theta", 10000.0f, file);
  c.tied_embeddings = field_or<bool>(j, "tie_word_embeddings", false, file);
  c.sliding_window = field_or<int>(j, "sliding_window", 0, file);
  c.rope_layout = RopeLayout::half;
  c.bos_id = field_or<int>(j, "bos_token_id", -1, file);
  if (j.contains("eos_token_id") && j["eos_token_id"].is_array()) {
    c.eos_ids = field<std::vector<int>>(j, "eos_token_id", file);
  } else if (int eos = field_or<int>(j, "eos_token_id", -1, file); eos >= 0) {
    c.eos_ids = {eos};
  }
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) {
    const json& s = j["rope_scaling"];
    if (!s.is_object()) fail("{}: rope_scaling must be an object", file);
    const std::string kind = s.contains("rope_type") ? field<std::string>(s, "rope_type", file)
                                                     : field_or<std::string>(s, "type", "", file);
    if (kind == "llama3") {
      c.rope_scaling.enabled = true;
      c.rope_scaling.factor = field<float>(s, "factor", file);
      c.rope_scaling.low_freq_factor = field<float>(s, "low_freq_factor", file);
      c.rope_scaling.high_freq_factor = field<float>(s, "high_freq_factor", file);
      c.rope_scaling.original_max_position_embeddings = field<int>(s, "original_max_position_embeddings", file);
    } else if (kind != "default") {
      fail("{}: rope_scaling type '{}' is not supported (supported: llama3)", file, kind);
    }
  }
  return c;
}

// HF tensor name -> Meta name; empty for tensors the runtime does not use.
std::string meta_name(const std::string& hf) {
  static const std::regex layer(R"(model\.layers\.(\d+)\.(.+))");
  static const std::pair<const char*, const char*> per_layer[] = {
      {"self_attn.q_proj.weight", "attention.wq.weight"},
      {"self_attn.k_proj.weight", "attention.wk.weight"},
      {"self_attn.v_proj.weight", "attention.wv.weight"},
      {"self_attn.o_proj.weight", "attention.wo.weight"},
      {"mlp.gate_proj.weight", "feed_forward.w1.weight"},
      {"mlp.down_proj.weight", "feed_forward.w2.weight"},
      {"mlp.up_proj.weight", "feed_forward.w3.weight"},
      {"input_layernorm.weight", "attention_norm.weight"},
      {"post_attention_layernorm.weight", "ffn_norm.weight"},
  };
  if (hf == "model.embed_tokens.weight") return "tok_embeddings.weight";
  if (hf == "model.norm.weight") return "norm.weight";
  if (hf == "lm_head.weight") return "output.weight";
  std::smatch m;
  if (std::regex_match(hf, m, layer)) {
    for (const auto& [from, to] : per_layer)
      if (m[2] == from) return "layers." + m[1].str() + "." + to;
  }
  return {};
}

}  // namespace

std::unique_ptr<Checkpoint> read_hf_directory(const std::string& dir) {
  auto ck = std::make_unique<Checkpoint>();
  ck->source = dir;
  ck->format = "hf-safetensors";
  const fs::path root(dir);
  const std::string config_file = (root / "config.json").string();
  ck->config = parse_hf_config(read_json(config_file), config_file);
  ck->config.validate(config_file);

  // Which files hold the weights: the index of a sharded checkpoint, or one file.
  std::vector<std::string> shards;
  std::map<std::string, std::string> expected_in;  // tensor -> shard, from the index
  if (const fs::path index = root / "model.safetensors.index.json"; fs::exists(index)) {
    const json j = read_json(index);
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      fail("{}: missing object 'weight_map'", index.string());
    std::set<std::string> seen;
    for (const auto& [name, shard] : j["weight_map"].items()) {
      if (!shard.is_string()) fail("{}: weight_map entry '{}' is not a file name", index.string(), name);
      const std::string s = shard.get<std::string>();
      if (s.find('/') != std::string::npos || s == "..")
        fail("{}: weight_map entry '{}' names a path outside the directory", index.string(), name);
      expected_in[name] = s;
      if (seen.insert(s).second) shards.push_back(s);
    }
  } else if (fs::exists(root / "model.safetensors")) {
    shards.push_back("model.safetensors");
  } else {
    fail("{}: no model.safetensors or model.safetensors.index.json in this directory", dir);
  }

  for (const std::string& shard : shards) {
    const std::string path = (root / shard).string();
    const MappedFile& file = ck->keep(MappedFile::open(path));
    for (auto& [name, tensor] : parse_safetensors(file.bytes(), path)) {
      if (auto it = expected_in.find(name); it != expected_in.end() && it->second != shard)
        fail("{}: tensor '{}' is listed in the index under {}", path, name, it->second);
      const std::string meta = meta_name(name);
      if (meta.empty()) continue;
      // safetensors does not promise alignment; copy the rare misaligned tensor.
      if (reinterpret_cast<uintptr_t>(tensor.data) % dtype_size(tensor.dtype) != 0) {
        auto buf = std::make_unique<std::byte[]>(tensor.nbytes);
        std::memcpy(buf.get(), tensor.data, tensor.nbytes);
        tensor.data = buf.get();
        ck->buffers.push_back(std::move(buf));
      }
      if (!ck->tensors.emplace(meta, std::move(tensor)).second)
        fail("{}: tensor '{}' appears in more than one shard", path, name);
    }
  }
  for (const auto& [name, shard] : expected_in)
    if (!meta_name(name).empty() && !ck->tensors.count(meta_name(name)))
      fail("{}: tensor '{}' is listed in the index but missing", (root / shard).string(), name);

  for (const char* tok : {"tokenizer.json", "tokenizer.model"})
    if (fs::exists(root / tok)) {
      ck->tokenizer_path = (root / tok).string();
      break;
    }
  return ck;
}

}  // namespace llamafast
