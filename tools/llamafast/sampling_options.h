// Sampling options shared by `generate` and `chat` (--temperature, --top-k,
// --top-p, --min-p, --repeat-penalty, --repeat-last-n, --seed).
#pragma once

#include <CLI/CLI.hpp>

#include "llamafast/model.h"
#include "llamafast/sampler.h"

namespace llamafast::cli {

struct SamplingOptions {
  SamplerParams params;
  bool seed_given = false;

  void add(CLI::App& cmd);
  // The parameters: the model's own defaults (generation_config.json) for the
  // options not given on the command line, and a random seed unless --seed was given.
  SamplerParams resolved(const ModelInfo& model) const;

 private:
  CLI::Option* temperature_ = nullptr;
  CLI::Option* top_k_ = nullptr;
  CLI::Option* top_p_ = nullptr;
  CLI::Option* repeat_penalty_ = nullptr;
};

}  // namespace llamafast::cli
