// How far a model's next-token distributions are from a base model's, position
// by position: KL(base || model) and top-1 agreement.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace llamafast {

struct KlSummary {
  size_t positions = 0;
  double mean = 0;            // mean KL(base || model) in nats
  double p99 = 0;             // 99th percentile over positions (nearest rank)
  double max = 0;
  double top1_agreement = 0;  // fraction of positions whose argmax tokens match
};

class KlAccumulator {
 public:
  // Adds [n][vocab] rows of log-probabilities (ln p) for the same n positions.
  // Each row is renormalized in double first, so rows rounded to float still
  // form distributions and identical rows give exactly 0.
  void add(std::span<const float> base_rows, std::span<const float> model_rows, size_t vocab);
  KlSummary summary() const;

 private:
  std::vector<double> kl_;  // per position, for the percentile
  double sum_ = 0;
  size_t agree_ = 0;
};

}  // namespace llamafast
