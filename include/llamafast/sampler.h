// Choosing the next token from logits: a fixed chain of steps, each skipped
// when it is switched off:
//   repetition penalty -> temperature -> top-k -> top-p -> min-p -> draw.
// Temperature 0 is greedy (argmax) and ignores the rest.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace llamafast {

struct SamplerParams {
  float temperature = 0.8f;     // 0: greedy
  int top_k = 40;               // 0: off
  float top_p = 0.95f;          // 1: off
  float min_p = 0.05f;          // 0: off; drop tokens below min_p * p(best)
  float repeat_penalty = 1.0f;  // 1: off; > 1 discourages tokens seen in the last repeat_last_n
  int repeat_last_n = 64;
  uint64_t seed = 0;            // same seed + same logits -> same tokens
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params);

  // Picks a token. `history` is the sequence so far (for the repetition
  // penalty); `logits` is not modified. Allocation-free after the first call.
  int sample(std::span<const float> logits, std::span<const int> history);

  const SamplerParams& params() const { return p_; }

 private:
  struct Candidate {
    int id;
    float logit;
  };
  SamplerParams p_;
  std::mt19937_64 rng_;
  std::vector<Candidate> cand_;
  std::vector<float> probs_;
  std::vector<uint8_t> seen_;  // repetition-penalty marks, cleared after each use
};

// Index of the largest value (first on ties).
int argmax(std::span<const float> values);

}  // namespace llamafast
