#include "model_options.h"

#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "commands.h"

namespace llamafast::cli {

void ModelOptions::add(CLI::App& cmd, bool session_options) {
  cmd.add_option("-m,--model,--checkpoint", model,
                 "Model: a .llf (llamafast export), llama2.c .bin, a Hugging Face directory (config.json + "
                 "*.safetensors), a Meta directory (params.json + consolidated.NN.pth), or a .pth file (Meta "
                 "shard, gpt-fast/torchchat model.pth)");
  cmd.add_option("--params", params,
                 "Model parameters for a .pth checkpoint (default: params.json or model_args.json beside it)");
  cmd.add_option("-z,--tokenizer", tokenizer,
                 "Tokenizer file (default: the one with the model, e.g. tokenizer.bin beside a .bin)");
  if (session_options) {
    cmd.add_option("-t,--threads", threads, "Worker threads (default: number of physical cores)")
        ->check(CLI::NonNegativeNumber);
    cmd.add_option("--max-seq-len", max_seq_len,
                   "KV cache length in tokens (default: the model's context, capped by free memory)")
        ->check(CLI::NonNegativeNumber);
    const std::map<std::string, KVCacheType> kv_types{
        {"f32", KVCacheType::f32}, {"f16", KVCacheType::f16}, {"bf16", KVCacheType::bf16}};
    cmd.add_option("--kv-cache", kv_cache,
                   "KV cache elements: f32 (default), f16 or bf16 (half the memory and the bytes decode reads "
                   "from the cache; keys and values rounded to nearest)")
        ->transform(CLI::CheckedTransformer(kv_types));
  }
}

std::shared_ptr<const Model> ModelOptions::load(bool need_tokenizer) const {
  std::string path = model;
  if (path.empty()) {
    if (!std::filesystem::exists(LLAMAFAST_DEMO_MODEL_DIR "/config.json"))
      throw ExitError{2, "no model given: pass -m MODEL"};
    path = LLAMAFAST_DEMO_MODEL_DIR;
    std::fprintf(stderr, "llamafast: no -m given, using the bundled demo model %s\n", path.c_str());
  }
  return check(Model::load(
      {.path = path, .params_path = params, .tokenizer_path = tokenizer, .load_tokenizer = need_tokenizer}));
}

std::unique_ptr<Session> ModelOptions::session(std::shared_ptr<const Model> m) const {
  auto s = check(Session::create(std::move(m), {.max_seq_len = max_seq_len, .threads = threads, .max_batch = max_batch, .kv_cache = kv_cache}));
  if (const std::string note = Session::isa_note(); !note.empty()) std::fprintf(stderr, "llamafast: %s\n", note.c_str());
  if (!s->capacity_note().empty()) std::fprintf(stderr, "llamafast: %s\n", s->capacity_note().c_str());
  return s;
}

size_t peak_rss_bytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return size_t(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace llamafast::cli
