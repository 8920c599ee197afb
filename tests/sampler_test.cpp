// The sampler chain: greedy, truncation steps, penalty, and that draws follow
// the softmax distribution.
#include <cmath>
#include <map>

#include "llamafast/sampler.h"
#include "test_support.h"

namespace llamafast {
namespace {

const std::vector<float> kLogits = {1.0f, 3.0f, 2.5f, -1.0f, 0.0f, 2.9f};

TEST(Sampler, TemperatureZeroIsArgmax) {
  Sampler s({.temperature = 0.0f});
  EXPECT_EQ(s.sample(kLogits, {}), 1);
  EXPECT_EQ(argmax(kLogits), 1);
}

TEST(Sampler, TopKOneIsGreedyAtAnyTemperature) {
  Sampler s({.temperature = 5.0f, .top_k = 1, .top_p = 1.0f, .min_p = 0.0f, .seed = 7});
  for (int i = 0; i < 50; ++i) EXPECT_EQ(s.sample(kLogits, {}), 1);
}

TEST(Sampler, TopKKeepsOnlyTheKBest) {
  Sampler s({.temperature = 10.0f, .top_k = 3, .top_p = 1.0f, .min_p = 0.0f, .seed = 3});
  for (int i = 0; i < 300; ++i) {
    const int id = s.sample(kLogits, {});
    EXPECT_TRUE(id == 1 || id == 5 || id == 2) << id;
  }
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingTheMass) {
  // Softmax of {3, 2.9, 2.5, ...}: the top two hold ~0.58 of the mass, top three ~0.77.
  Sampler s({.temperature = 1.0f, .top_k = 0, .top_p = 0.5f, .min_p = 0.0f, .seed = 4});
  for (int i = 0; i < 300; ++i) {
    const int id = s.sample(kLogits, {});
    EXPECT_TRUE(id == 1 || id == 5) << id;
  }
}

TEST(Sampler, MinPDropsTokensFarBelowTheBest) {
  // p(i)/p(best) = e^(l_i - 3): 0.905 for id 5, 0.607 for id 2, 0.135 for id 0.
  Sampler s({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.5f, .seed = 5});
  std::map<int, int> seen;
  for (int i = 0; i < 500; ++i) ++seen[s.sample(kLogits, {})];
  for (const auto& [id, n] : seen) EXPECT_TRUE(id == 1 || id == 5 || id == 2) << id;
  EXPECT_EQ(seen.size(), 3u);
}

TEST(Sampler, RepetitionPenaltyTurnsGreedyAwayFromRecentTokens) {
  Sampler s({.temperature = 0.0f, .repeat_penalty = 1.5f, .repeat_last_n = 4});
  const std::vector<int> history = {1, 1, 1};  // 3 / 1.5 = 2 < 2.9
  EXPECT_EQ(s.sample(kLogits, history), 5);
  const std::vector<int> old_history = {1, 0, 0, 0, 0};  // id 1 fell out of the window
  EXPECT_EQ(s.sample(kLogits, old_history), 1);
}

TEST(Sampler, SameSeedSameDraws) {
  SamplerParams p{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 99};
  Sampler a(p), b(p);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.sample(kLogits, {}), b.sample(kLogits, {}));
}

TEST(Sampler, DrawFrequenciesFollowTheSoftmax) {
  Sampler s({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 2024});
  const int draws = 60000;
  std::vector<int> count(kLogits.size());
  for (int i = 0; i < draws; ++i) ++count[size_t(s.sample(kLogits, {}))];
  double z = 0;
  for (float l : kLogits) z += std::exp(double(l));
  for (size_t i = 0; i < kLogits.size(); ++i) {
    const double p = std::exp(double(kLogits[i])) / z;
    const double sigma = std::sqrt(p * (1 - p) / draws);
    EXPECT_NEAR(double(count[i]) / draws, p, 5 * sigma + 1e-4) << "token " << i;  // 5 sigma: no flakes
  }
}

}  // namespace
}  // namespace llamafast
