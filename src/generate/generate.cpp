// The generation loop: prefill the prompt, then sample -> decode one token at
// a time, streaming text through TextStream until a stop condition.
#include "llamafast/generate.h"

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "generate/text_stream.h"

namespace llamafast {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

Result<GenerationStats> generate_tokens(Session& session, const Tokenizer& tokenizer, Sampler& sampler,
                                        std::span<const int> prompt, const GenerationConfig& config,
                                        const TextCallback& on_text, const std::function<void(int)>& on_token) {
  GenerationStats stats;
  stats.prompt_tokens = int(prompt.size());
  if (prompt.empty()) return Status(StatusCode::invalid_input, "the prompt is empty (no tokens to start from)");

  const ModelInfo& info = session.model().info();
  std::vector<int> history(prompt.begin(), prompt.end());
  history.reserve(prompt.size() + size_t(std::max(config.max_new_tokens, 0)));
  TextStream text(config.stop);
  auto emit = [&](const std::string& s) { return s.empty() || !on_text || on_text(s); };

  auto t0 = Clock::now();
  auto logits = session.prefill(prompt);
  if (!logits.ok()) return logits.status();
  std::span<const float> current = logits.value();
  int prev = prompt.back();
  Clock::time_point decode_start;

  stats.stop_reason = "max-new-tokens";
  while (stats.generated_tokens < config.max_new_tokens) {
    const int next = sampler.sample(current, history);
    if (stats.generated_tokens == 0) {
      stats.prefill_ms = ms_since(t0);
      decode_start = Clock::now();
    }
    ++stats.generated_tokens;
    history.push_back(next);
    if (on_token) on_token(next);
    if ((config.stop_at_eos && std::find(info.eos_ids.begin(), info.eos_ids.end(), next) != info.eos_ids.end()) ||
        std::find(config.stop_ids.begin(), config.stop_ids.end(), next) != config.stop_ids.end()) {
      stats.stop_reason = "eos";
      break;
    }
    if (!tokenizer.is_control(next) && !emit(text.push(tokenizer.decode(prev, next)))) {
      stats.stop_reason = "cancelled";
      break;
    }
    prev = next;
    if (text.stopped()) {
      stats.stop_reason = "stop-string";
      break;
    }
    if (stats.generated_tokens == config.max_new_tokens) break;
    if (session.position() >= session.capacity()) {
      stats.stop_reason = "context-full";
      break;
    }
    logits = session.decode(next);
    if (!logits.ok()) return logits.status();
    current = logits.value();
  }
  if (stats.generated_tokens > 0) stats.decode_ms = ms_since(decode_start);
  emit(text.flush());
  return stats;
}

Result<GenerationStats> generate(Session& session, const Tokenizer& tokenizer, Sampler& sampler,
                                 std::string_view prompt, const GenerationConfig& config,
                                 const TextCallback& on_text) {
  const std::vector<int> ids = tokenizer.encode(prompt, config.encode);
  return generate_tokens(session, tokenizer, sampler, ids, config, on_text);
}

}  // namespace llamafast
