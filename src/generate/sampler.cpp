#include "llamafast/sampler.h"

#include <algorithm>
#include <cmath>

namespace llamafast {

int argmax(std::span<const float> v) {
  return int(std::max_element(v.begin(), v.end()) - v.begin());
}

Sampler::Sampler(const SamplerParams& params) : p_(params), rng_(params.seed) {}

int Sampler::sample(std::span<const float> logits, std::span<const int> history) {
  const int vocab = int(logits.size());
  cand_.resize(size_t(vocab));
  for (int i = 0; i < vocab; ++i) cand_[size_t(i)] = {i, logits[size_t(i)]};

  // Repetition penalty (CTRL-style): shrink the logit of recently seen tokens
  // toward "less likely" whatever its sign.
  if (p_.repeat_penalty != 1.0f && p_.repeat_last_n > 0) {
    const size_t n = std::min(history.size(), size_t(p_.repeat_last_n));
    seen_.resize(size_t(vocab));
    const auto window = history.subspan(history.size() - n);
    for (int id : window) {
      if (id < 0 || id >= vocab || seen_[size_t(id)]) continue;  // once per token, however often it recurs
      seen_[size_t(id)] = 1;
      float& l = cand_[size_t(id)].logit;
      l = l > 0 ? l / p_.repeat_penalty : l * p_.repeat_penalty;
    }
    for (int id : window)
      if (id >= 0 && id < vocab) seen_[size_t(id)] = 0;
  }

  if (p_.temperature <= 0.0f) {
    int best = 0;
    for (int i = 1; i < vocab; ++i)
      if (cand_[size_t(i)].logit > cand_[size_t(best)].logit) best = i;
    return best;
  }

  for (auto& c : cand_) c.logit /= p_.temperature;
  auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  size_t keep = cand_.size();
  if (p_.top_k > 0 && size_t(p_.top_k) < keep) {
    keep = size_t(p_.top_k);
    std::partial_sort(cand_.begin(), cand_.begin() + keep, cand_.end(), by_logit);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }

  // Softmax over the kept candidates (sorted, best first).
  probs_.resize(keep);
  const float max = cand_[0].logit;
  double sum = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    probs_[i] = std::exp(cand_[i].logit - max);
    sum += probs_[i];
  }
  for (size_t i = 0; i < keep; ++i) probs_[i] = float(probs_[i] / sum);

  // Top-p: the smallest prefix whose mass reaches top_p.
  if (p_.top_p < 1.0f) {
    double mass = 0.0;
    for (size_t i = 0; i < keep; ++i) {
      mass += probs_[i];
      if (mass >= p_.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  // Min-p: drop tokens far less likely than the best one.
  if (p_.min_p > 0.0f) {
    const float floor = p_.min_p * probs_[0];
    size_t i = 1;
    while (i < keep && probs_[i] >= floor) ++i;
    keep = i;
  }

  double total = 0.0;
  for (size_t i = 0; i < keep; ++i) total += probs_[i];
  // 53 random bits -> [0, 1): the same on every standard library, unlike
  // std::uniform_real_distribution, so a seed reproduces across platforms.
  const double r = double(rng_() >> 11) * 0x1.0p-53 * total;
  double acc = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    acc += probs_[i];
    if (r < acc) return cand_[i].id;
  }
  return cand_[keep - 1].id;
}

}  // namespace llamafast
