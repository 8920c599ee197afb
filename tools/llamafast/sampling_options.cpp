#include "sampling_options.h"

#include <random>

namespace llamafast::cli {

void SamplingOptions::add(CLI::App& cmd) {
  temperature_ = cmd.add_option("--temperature,--temp", params.temperature,
                                "Sampling temperature; 0 = greedy (default: the model's generation_config.json, else this)")
      ->capture_default_str()->check(CLI::Range(0.0f, 100.0f));
  top_k_ = cmd.add_option("--top-k", params.top_k, "Keep the k most likely tokens; 0 = off")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  top_p_ = cmd.add_option("--top-p", params.top_p, "Keep the smallest set with this probability mass; 1 = off")
      ->capture_default_str()->check(CLI::Range(0.0f, 1.0f));
  cmd.add_option("--min-p", params.min_p, "Drop tokens below min-p x p(best); 0 = off")
      ->capture_default_str()->check(CLI::Range(0.0f, 1.0f));
  repeat_penalty_ = cmd.add_option("--repeat-penalty", params.repeat_penalty, "Penalty for recently seen tokens; 1 = off")
      ->capture_default_str()->check(CLI::Range(0.0f, 100.0f));
  cmd.add_option("--repeat-last-n", params.repeat_last_n, "Window of the repetition penalty")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd.add_option_function<uint64_t>("-s,--seed", [this](uint64_t s) {
    params.seed = s;
    seed_given = true;
  }, "Random seed (default: random); the same seed reproduces a run");
}

SamplerParams SamplingOptions::resolved(const ModelInfo& model) const {
  SamplerParams p = params;
  const GenerationDefaults& d = model.generation_defaults;
  if (d.temperature && temperature_->count() == 0) p.temperature = *d.temperature;
  if (d.top_k && top_k_->count() == 0) p.top_k = *d.top_k;
  if (d.top_p && top_p_->count() == 0) p.top_p = *d.top_p;
  if (d.repetition_penalty && repeat_penalty_->count() == 0) p.repeat_penalty = *d.repetition_penalty;
  if (!seed_given) p.seed = std::random_device{}();
  return p;
}

}  // namespace llamafast::cli
