// Loading a model and running it over a token sequence.
//
//   auto model = llamafast::Model::load({.path = "stories15M.bin"});
//   auto session = llamafast::Session::create(*model, {});
//   auto logits = (*session)->prefill(prompt_ids);       // last position's logits
//   logits = (*session)->decode(next_id);                 // one step, reusing the KV cache
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "llamafast/status.h"
#include "llamafast/tokenizer.h"

namespace llamafast {

struct ModelParams {
  std::string path;            // llama2.c .bin, HF directory (config.json + safetensors), Meta directory
                               // (params.json + consolidated.NN.pth), a .pth file, ...
  std::string params_path{};   // optional: params.json for a .pth file (default: the one beside it)
  std::string tokenizer_path{};  // optional: overrides the tokenizer found with the model
  bool load_tokenizer = true;  // false: ids only (logits), no tokenizer needed
};

// Sampling settings the model's authors ship (Hugging Face generation_config.json,
// beside the model or embedded in a .llf); unset when it does not say.
struct GenerationDefaults {
  std::optional<float> temperature;  // 0 when the file says do_sample: false (greedy)
  std::optional<int> top_k;
  std::optional<float> top_p;
  std::optional<float> repetition_penalty;
};

// What a loaded model is, for display and sizing.
struct ModelInfo {
  std::string source;          // path it was loaded from
  std::string tokenizer_path;  // tokenizer file in use; empty when none was loaded
  GenerationDefaults generation_defaults;
  std::vector<std::string> config_notes;  // where inferred hyper-parameters came from (for -v)
  std::string tokenizer_config_json;  // content of the tokenizer_config.json embedded in the model file, if any
  std::string format;          // "llama2c", "hf-safetensors", ...
  std::string weight_dtype;    // dtype of the matrices ("f32", "bf16", ...)
  int dim = 0, hidden_dim = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, head_dim = 0;
  int vocab_size = 0;
  int context_length = 0;      // the model's trained context
  int bos_id = -1;
  std::vector<int> eos_ids;
  size_t weight_bytes = 0;     // matrix bytes streamed per decoded token
  size_t kv_bytes_per_token = 0;  // with an f32 cache (Session::kv_bytes_per_token: the session's own)
};

// Immutable weights (memory-mapped) plus the tokenizer; share one Model among
// any number of Sessions.
class Model {
 public:
  static Result<std::shared_ptr<const Model>> load(const ModelParams& params);
  ~Model();

  const ModelInfo& info() const;
  // The tokenizer that came with the model (or was given); null if none.
  const Tokenizer* tokenizer() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }
  explicit Model(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Element type of a session's KV cache. f16 and bf16 round every cached key
// and value to nearest (11 and 8 significant bits; f16 overflows beyond
// 65504, bf16 has f32's range) and halve the cache: its memory, and the bytes
// each decoded token reads from it, which grow with the context.
enum class KVCacheType { f32, f16, bf16 };

// "f32", "f16" or "bf16".
const char* kv_cache_type_name(KVCacheType type);

struct SessionParams {
  int max_seq_len = 0;  // KV cache capacity; 0: the model's context, capped by available memory
  int threads = 0;      // 0: one per physical core
  int max_batch = 128;  // prefill chunk size
  KVCacheType kv_cache = KVCacheType::f32;
};

// One sequence being processed: KV cache, scratch buffers and a thread pool,
// all allocated at creation; nothing is allocated per token.
class Session {
 public:
  static Result<std::unique_ptr<Session>> create(std::shared_ptr<const Model> model, const SessionParams& params);
  ~Session();

  // Appends tokens to the sequence in one batched pass (chunked when long) and
  // returns the logits (vocab) of the last one. The span is valid until the next call.
  Result<std::span<const float>> prefill(std::span<const int> tokens);

  // Appends tokens and writes the logits of every one of them into `out`,
  // which must hold tokens.size() * vocab floats.
  Status prefill_all(std::span<const int> tokens, std::span<float> out);

  // Appends one token (a decode step) and returns its logits.
  Result<std::span<const float>> decode(int token);

  int position() const;   // tokens in the sequence so far
  int capacity() const;   // most tokens the sequence can hold
  KVCacheType kv_cache() const;
  size_t kv_bytes_per_token() const;  // KV cache bytes one position takes (all layers)
  int threads() const;
  // Forgets positions >= pos (0: start over). The cache beyond is overwritten later.
  void rewind(int pos);

  const Model& model() const;
  // Kernel instruction set in use ("avx512", "avx2", "scalar", ...).
  std::string isa() const;
  // Why the kernels differ from what LLAMAFAST_ISA asked for, or empty.
  static std::string isa_note();
  // How the kernels prefetch the weights decode streams: "l2" (on Intel CPUs)
  // or "nta" (non-temporal, elsewhere); LLAMAFAST_PREFETCH=l2|nta overrides.
  static std::string weight_prefetch();
  // Why capacity() is below what was asked for (memory), or empty.
  const std::string& capacity_note() const;

  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace llamafast
