// KL(base || model) = sum_i p_base(i) * (ln p_base(i) - ln p_model(i)), in double.
#include "llamafast/kl_divergence.h"

#include <algorithm>
#include <cmath>

namespace llamafast {

namespace {

// ln of the row's total probability, so that ln p - log_mass is normalized:
// rows stored as float sum to 1 only within rounding, and KL of unnormalized
// rows can come out negative.
double log_mass(std::span<const float> row) {
  double max = row[0];
  for (float x : row) max = std::max(max, double(x));
  double sum = 0;
  for (float x : row) sum += std::exp(double(x) - max);
  return max + std::log(sum);
}

size_t argmax(std::span<const float> row) { return size_t(std::max_element(row.begin(), row.end()) - row.begin()); }

}  // namespace

void KlAccumulator::add(std::span<const float> base_rows, std::span<const float> model_rows, size_t vocab) {
  for (size_t r = 0; r + vocab <= base_rows.size() && r + vocab <= model_rows.size(); r += vocab) {
    const auto base = base_rows.subspan(r, vocab), model = model_rows.subspan(r, vocab);
    const double base_norm = log_mass(base), model_norm = log_mass(model);
    double kl = 0;
    for (size_t i = 0; i < vocab; ++i) {
      const double lb = double(base[i]) - base_norm;
      kl += std::exp(lb) * (lb - (double(model[i]) - model_norm));
    }
    kl_.push_back(kl);
    sum_ += kl;
    agree_ += argmax(base) == argmax(model);
  }
}

KlSummary KlAccumulator::summary() const {
  KlSummary s;
  s.positions = kl_.size();
  if (kl_.empty()) return s;
  std::vector<double> sorted = kl_;
  std::sort(sorted.begin(), sorted.end());
  s.mean = sum_ / double(kl_.size());
  // Nearest rank: the smallest value with at least 99% of positions at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(0.99 * double(sorted.size())));
  s.p99 = sorted[std::max<size_t>(rank, 1) - 1];
  s.max = sorted.back();
  s.top1_agreement = double(agree_) / double(kl_.size());
  return s;
}

}  // namespace llamafast
