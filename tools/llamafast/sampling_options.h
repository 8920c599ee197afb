// Sampling options shared by `generate` and `chat` (--temperature, --top-k,
// --top-p, --min-p, --repeat-penalty, --repeat-last-n, --seed).
#pragma once

#include <CLI/CLI.hpp>

#include "llamafast/sampler.h"

namespace llamafast::cli {

struct SamplingOptions {
  SamplerParams params;
  bool seed_given = false;

  void add(CLI::App& cmd);
  // The parameters, with a random seed unless --seed was given.
  SamplerParams resolved() const;
};

}  // namespace llamafast::cli
