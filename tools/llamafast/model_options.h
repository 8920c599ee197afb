// Options shared by every subcommand that loads a model (-m, -z, --threads,
// --max-seq-len, --kv-cache) and the code that turns them into a Model and a Session.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "llamafast/model.h"

namespace llamafast::cli {

struct ModelOptions {
  std::string model;
  std::string tokenizer;
  std::string params;  // params.json for a .pth checkpoint
  int threads = 0;
  int max_seq_len = 0;
  int max_batch = 128;  // prefill chunk; set by subcommands that expose it (perplexity --batch)
  KVCacheType kv_cache = KVCacheType::f32;

  // Registers -m/--model (alias --checkpoint), --params and -z/--tokenizer (and, with session options,
  // --threads, --max-seq-len and --kv-cache) on `cmd`.
  void add(CLI::App& cmd, bool session_options = true);

  // Loads the model (the bundled demo model when -m is absent and it exists).
  std::shared_ptr<const Model> load(bool need_tokenizer) const;
  // Creates a session, printing a note to stderr if the context was capped.
  std::unique_ptr<Session> session(std::shared_ptr<const Model> model) const;
};

// Peak resident set size of this process in bytes.
size_t peak_rss_bytes();

}  // namespace llamafast::cli
