// The public Model / Session API over the checkpoint readers and the Transformer.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/error.h"
#include "model/generation_config.h"
#include "runtime/model_impl.h"
#include "runtime/transformer.h"

namespace llamafast {

namespace {

// generation_config.json: embedded in a .llf, else beside the model (HF directories).
GenerationDefaults read_generation_defaults(const Checkpoint& ck) {
  if (ck.embedded_tokenizer) {
    const std::string_view text = ck.embedded_tokenizer->file("generation_config.json");
    return text.empty() ? GenerationDefaults{}
                        : parse_generation_config(text, ck.source + " (embedded generation_config.json)");
  }
  if (ck.format != "hf-safetensors") return {};  // only Hugging Face directories ship one
  const std::filesystem::path dir = std::filesystem::is_directory(ck.source)
                                        ? std::filesystem::path(ck.source)
                                        : std::filesystem::path(ck.source).parent_path();
  const std::filesystem::path file = dir / "generation_config.json";
  if (!std::filesystem::exists(file)) return {};
  std::ifstream in(file, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_generation_config(text, file.string());
}

}  // namespace

const char* kv_cache_type_name(KVCacheType type) {
  switch (type) {
    case KVCacheType::f32: return "f32";
    case KVCacheType::f16: return "f16";
    case KVCacheType::bf16: return "bf16";
  }
  return "?";
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;
const ModelInfo& Model::info() const { return impl_->info; }
const Tokenizer* Model::tokenizer() const { return impl_->tokenizer.get(); }

Result<std::shared_ptr<const Model>> Model::load(const ModelParams& params) {
  auto impl = std::make_unique<Impl>();
  Status st = catch_status([&] {
    impl->checkpoint = open_checkpoint({params.path, params.params_path, params.tokenizer_path});
    const Checkpoint& ck = *impl->checkpoint;
    impl->weights = bind_weights(ck);
    ModelConfig& c = impl->checkpoint->config;

    if (params.load_tokenizer) {
      const bool embedded = ck.embedded_tokenizer && params.tokenizer_path.empty();
      const std::string tokenizer_name = embedded ? ck.source + " (embedded tokenizer)" : ck.tokenizer_path;
      if (embedded) {
        impl->tokenizer = tokenizer_from_files(*ck.embedded_tokenizer, tokenizer_name);
      } else {
        if (ck.tokenizer_path.empty())
          fail("{}: no tokenizer found beside the model; pass one with -z/--tokenizer", ck.source);
        auto tok = load_tokenizer(ck.tokenizer_path);
        if (!tok.ok()) throw Error(tok.status().code(), tok.status().message());
        impl->tokenizer = std::move(tok).value();
      }
      if (impl->tokenizer->vocab_size() > c.vocab_size)
        fail("{}: tokenizer has {} tokens but the model only {}", tokenizer_name, impl->tokenizer->vocab_size(),
             c.vocab_size);
      // The model file's special ids win; the tokenizer fills in what it lacks.
      if (c.bos_id < 0) c.bos_id = impl->tokenizer->bos_id();
      if (c.eos_ids.empty()) c.eos_ids = impl->tokenizer->eos_ids();
    }

    ModelInfo& i = impl->info;
    i.source = ck.source;
    if (impl->tokenizer) i.tokenizer_path = ck.tokenizer_path;
    if (impl->tokenizer && ck.embedded_tokenizer && params.tokenizer_path.empty())
      i.tokenizer_config_json = ck.embedded_tokenizer->file("tokenizer_config.json");
    i.generation_defaults = read_generation_defaults(ck);
    i.config_notes = ck.notes;
    i.format = ck.format;
    i.weight_dtype = std::string(dtype_name(impl->weights.layers.front().wq.dtype));
    i.dim = c.dim;
    i.hidden_dim = c.hidden_dim;
    i.n_layers = c.n_layers;
    i.n_heads = c.n_heads;
    i.n_kv_heads = c.n_kv_heads;
    i.head_dim = c.head_dim;
    i.vocab_size = c.vocab_size;
    i.context_length = c.max_seq_len;
    i.bos_id = c.bos_id;
    i.eos_ids = c.eos_ids;
    i.weight_bytes = impl->weights.matrix_bytes;
    i.kv_bytes_per_token = size_t(2) * c.n_layers * c.kv_dim() * sizeof(float);
  });
  if (!st.ok()) return st;
  return std::shared_ptr<const Model>(std::make_shared<Model>(std::move(impl)));
}

struct Session::Impl {
  std::shared_ptr<const Model> model;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Transformer> transformer;
  std::vector<float> logits;  // (vocab) for prefill / decode results
  int pos = 0;
  KVCacheType kv_cache = KVCacheType::f32;
  std::string capacity_note;
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

namespace {

// Bytes of memory the kernel says are available without swapping.
size_t available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  size_t kb = 0;
  std::string unit;
  while (meminfo >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return size_t(sysconf(_SC_AVPHYS_PAGES)) * size_t(sysconf(_SC_PAGESIZE));
}

DType cache_dtype(KVCacheType type) {
  switch (type) {
    case KVCacheType::f32: return DType::f32;
    case KVCacheType::f16: return DType::f16;
    case KVCacheType::bf16: return DType::bf16;
  }
  fail("unknown KV cache type {}", int(type));
}

size_t kv_bytes_per_position(const ModelInfo& info, KVCacheType type) {
  return info.kv_bytes_per_token / sizeof(float) * dtype_size(cache_dtype(type));
}

}  // namespace

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Model> model, const SessionParams& params) {
  auto impl = std::make_unique<Impl>();
  Status st = catch_status([&] {
    const Model::Impl& m = model->impl();
    const ModelConfig& c = m.checkpoint->config;
    if (params.max_seq_len < 0) fail("max sequence length {} is negative", params.max_seq_len);
    int capacity = params.max_seq_len > 0 ? params.max_seq_len : c.max_seq_len;
    // Keep the KV cache within half of the free memory: the weights need the rest.
    const size_t per_token = kv_bytes_per_position(m.info, params.kv_cache);
    const size_t affordable = available_memory() / 2 / std::max<size_t>(per_token, 1);
    if (size_t(capacity) > affordable) {
      impl->capacity_note = fmt::format(
          "KV cache capped at {} positions (asked for {}): {} MiB per 1k positions, {} MiB of memory available",
          affordable, capacity, per_token * 1000 >> 20, available_memory() >> 20);
      capacity = int(affordable);
    }
    if (capacity < 1) fail("not enough memory for a KV cache of even one position");
    impl->model = model;
    impl->pool = std::make_unique<ThreadPool>(params.threads);
    impl->transformer =
        std::make_unique<Transformer>(c, m.weights, capacity, *impl->pool, params.max_batch, cache_dtype(params.kv_cache));
    impl->kv_cache = params.kv_cache;
    impl->logits.resize(size_t(c.vocab_size));
  });
  if (!st.ok()) return st;
  return std::make_unique<Session>(std::move(impl));
}

namespace {

void check_tokens(std::span<const int> tokens, int pos, int capacity, int vocab) {
  if (tokens.empty()) fail("no tokens to process");
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      fail("token id {} at index {} is out of range (vocabulary size {})", tokens[i], i, vocab);
  if (size_t(pos) + tokens.size() > size_t(capacity))
    fail("sequence of {} tokens does not fit the context: {} already used, capacity {} (see --max-seq-len)",
         tokens.size(), pos, capacity);
}

}  // namespace

Result<std::span<const float>> Session::prefill(std::span<const int> tokens) {
  Impl& s = *impl_;
  Status st = catch_status([&] {
    check_tokens(tokens, s.pos, capacity(), int(s.logits.size()));
    s.transformer->forward(tokens, s.pos, s.logits.data(), false);
    s.pos += int(tokens.size());
  });
  if (!st.ok()) return st;
  return std::span<const float>(s.logits);
}

Status Session::prefill_all(std::span<const int> tokens, std::span<float> out) {
  Impl& s = *impl_;
  return catch_status([&] {
    check_tokens(tokens, s.pos, capacity(), int(s.logits.size()));
    if (out.size() < tokens.size() * s.logits.size())
      fail("output buffer holds {} floats, needs {}", out.size(), tokens.size() * s.logits.size());
    s.transformer->forward(tokens, s.pos, out.data(), true);
    s.pos += int(tokens.size());
  });
}

Result<std::span<const float>> Session::decode(int token) { return prefill(std::span<const int>(&token, 1)); }

int Session::position() const { return impl_->pos; }
int Session::capacity() const { return impl_->transformer->capacity(); }
KVCacheType Session::kv_cache() const { return impl_->kv_cache; }
size_t Session::kv_bytes_per_token() const {
  return kv_bytes_per_position(model().info(), impl_->kv_cache);
}
int Session::threads() const { return impl_->pool->size(); }
void Session::rewind(int pos) { impl_->pos = std::clamp(pos, 0, impl_->pos); }
const Model& Session::model() const { return *impl_->model; }
std::string Session::isa() const { return std::string(impl_->transformer->kernels().isa); }
std::string Session::isa_note() { return std::string(kernels::forced_isa_note()); }
std::string Session::weight_prefetch() {
  return std::string(kernels::weight_prefetch_name(kernels::process_weight_prefetch));
}
const std::string& Session::capacity_note() const { return impl_->capacity_note; }

}  // namespace llamafast
