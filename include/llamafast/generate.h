// Text generation: prompt -> prefill -> (sample -> decode step)* -> text, streamed.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "llamafast/model.h"
#include "llamafast/sampler.h"
#include "llamafast/status.h"
#include "llamafast/tokenizer.h"

namespace llamafast {

struct GenerationConfig {
  int max_new_tokens = 256;          // stop after this many generated tokens
  std::vector<std::string> stop{};   // stop when the output contains one (it is not emitted)
  bool stop_at_eos = true;           // stop at the model's end-of-sequence tokens
  std::vector<int> stop_ids{};       // also stop at these tokens (a chat template's end of turn)
  EncodeOptions encode{};            // how the prompt is tokenized (BOS, special tokens)
};

struct GenerationStats {
  int prompt_tokens = 0;
  int generated_tokens = 0;
  double prefill_ms = 0;     // prompt processing, to the first sampled token
  double decode_ms = 0;      // all decode steps after that
  double prefill_tok_s() const { return prefill_ms > 0 ? prompt_tokens * 1000.0 / prefill_ms : 0; }
  // Decode rate over the steps after the first token.
  double decode_tok_s() const { return decode_ms > 0 ? (generated_tokens - 1) * 1000.0 / decode_ms : 0; }
  std::string stop_reason;   // "eos" (or a stop_ids token), "stop-string", "max-new-tokens", "context-full", "cancelled"
};

// Receives generated text in order, only ever whole UTF-8 characters (a
// character split across tokens is held back until complete). Return false to stop.
using TextCallback = std::function<bool(std::string_view text)>;

// Continues `session` (from its current position) with `prompt`, sampling until
// EOS, a stop string, max_new_tokens or a full context.
Result<GenerationStats> generate(Session& session, const Tokenizer& tokenizer, Sampler& sampler,
                                 std::string_view prompt, const GenerationConfig& config,
                                 const TextCallback& on_text);

// Same from already tokenized input; also reports each token id through on_token.
Result<GenerationStats> generate_tokens(Session& session, const Tokenizer& tokenizer, Sampler& sampler,
                                        std::span<const int> prompt, const GenerationConfig& config,
                                        const TextCallback& on_text,
                                        const std::function<void(int)>& on_token = {});

}  // namespace llamafast
