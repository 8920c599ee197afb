#include "model/config_json.h"

#include "common/error.h"

namespace llamafast {

using nlohmann::json;

json config_to_json(const ModelConfig& c) {
  json j = {
      {"dim", c.dim},
      {"hidden_dim", c.hidden_dim},
      {"n_layers", c.n_layers},
      {"n_heads", c.n_heads},
      {"n_kv_heads", c.n_kv_heads},
      {"head_dim", c.head_dim},
      {"vocab_size", c.vocab_size},
      {"max_seq_len", c.max_seq_len},
      {"norm_eps", c.norm_eps},
      {"rope_theta", c.rope_theta},
      {"rope_layout", c.rope_layout == RopeLayout::half ? "half" : "interleaved"},
      {"tied_embeddings", c.tied_embeddings},
      {"sliding_window", c.sliding_window},
      {"bos_id", c.bos_id},
      {"eos_ids", c.eos_ids},
  };
  if (c.rope_scaling.enabled) {
    j["rope_scaling"] = {
        {"factor", c.rope_scaling.factor},
        {"low_freq_factor", c.rope_scaling.low_freq_factor},
        {"high_freq_factor", c.rope_scaling.high_freq_factor},
        {"original_max_position_embeddings", c.rope_scaling.original_max_position_embeddings},
    };
  }
  return j;
}

namespace {

template <class T>
T get(const json& j, const char* key, const std::string& file) {
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    fail("{}: config: missing or invalid '{}'", file, key);
  }
}

}  // namespace

ModelConfig config_from_json(const json& j, const std::string& file) {
  if (!j.is_object()) fail("{}: config: not an object", file);
  ModelConfig c;
  c.dim = get<int>(j, "dim", file);
  c.hidden_dim = get<int>(j, "hidden_dim", file);
  c.n_layers = get<int>(j, "n_layers", file);
  c.n_heads = get<int>(j, "n_heads", file);
  c.n_kv_heads = get<int>(j, "n_kv_heads", file);
  c.head_dim = get<int>(j, "head_dim", file);
  c.vocab_size = get<int>(j, "vocab_size", file);
  c.max_seq_len = get<int>(j, "max_seq_len", file);
  c.norm_eps = get<float>(j, "norm_eps", file);
  c.rope_theta = get<float>(j, "rope_theta", file);
  const auto layout = get<std::string>(j, "rope_layout", file);
  if (layout != "half" && layout != "interleaved") fail("{}: config: unknown rope_layout '{}'", file, layout);
  c.rope_layout = layout == "half" ? RopeLayout::half : RopeLayout::interleaved;
  c.tied_embeddings = get<bool>(j, "tied_embeddings", file);
  c.sliding_window = get<int>(j, "sliding_window", file);
  c.bos_id = get<int>(j, "bos_id", file);
  c.eos_ids = get<std::vector<int>>(j, "eos_ids", file);
  if (j.contains("rope_scaling")) {
    const json& s = j["rope_scaling"];
    c.rope_scaling.enabled = true;
    c.rope_scaling.factor = get<float>(s, "factor", file);
    c.rope_scaling.low_freq_factor = get<float>(s, "low_freq_factor", file);
    c.rope_scaling.high_freq_factor = get<float>(s, "high_freq_factor", file);
    c.rope_scaling.original_max_position_embeddings = get<int>(s, "original_max_position_embeddings", file);
  }
  c.validate(file);
  return c;
}

}  // namespace llamafast
