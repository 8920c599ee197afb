// Each forward-pass op against a plain double-precision implementation on
// fresh random inputs.
#include <cmath>
#include <complex>
#include <random>

#include "runtime/ops.h"
#include "test_support.h"

namespace llamafast {
namespace {

std::vector<float> random_vector(std::mt19937& rng, size_t n, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(Ops, RmsnormScalesByRootMeanSquareAndWeight) {
  std::mt19937 rng(1);
  for (int n : {1, 7, 64, 1000}) {
    const auto x = random_vector(rng, n, 3.0f), w = random_vector(rng, n);
    std::vector<float> out(n);
    ops::rmsnorm(x.data(), w.data(), out.data(), n, 1e-5f);
    double ss = 0;
    for (float v : x) ss += double(v) * v;
    const double inv = 1.0 / std::sqrt(ss / n + 1e-5);
    for (int i = 0; i < n; ++i) EXPECT_NEAR(out[i], x[i] * inv * w[i], 1e-5 * (1 + std::fabs(x[i] * inv * w[i])));
  }
}

// bf16 keeps 8 significant bits: 1 + k/128 near 1. Values between two of them
// go to the nearer; exact halves to the one with an even last bit.
TEST(Ops, RoundToBf16RoundsToNearestEven) {
  const float u = std::ldexp(1.0f, -8);  // half a bf16 step at 1
  // Subnormal bf16 values are multiples of 2^-133: 2^-130 is one, 2^-140 is
  // below half of the smallest. 3e38 is 225.69 steps of 2^120.
  std::vector<float> x = {1.0f + u,        1.0f + 3 * u,           1.0f + u + std::ldexp(1.0f, -20),
                          -(1.0f + 3 * u), 1.0f + u / 2,           0.0f,
                          INFINITY,        std::ldexp(1.0f, -130), std::ldexp(1.0f, -140),
                          3.0e38f,         NAN};
  const std::vector<float> want = {1.0f,          1.0f + 4 * u,           1.0f + 2 * u,
                                   -(1.0f + 4 * u), 1.0f,                 0.0f,
                                   INFINITY,      std::ldexp(1.0f, -130), 0.0f,
                                   std::ldexp(226.0f, 120)};
  ops::round_to_bf16(x.data(), int(x.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(x[i], want[i]) << "element " << i;
  EXPECT_TRUE(std::isnan(x.back()));
}

TEST(Ops, SoftmaxSumsToOneAndIsStableForLargeValues) {
  std::mt19937 rng(2);
  auto x = random_vector(rng, 50, 5.0f);
  x[3] = 1000.0f;  // would overflow exp() without the max subtraction
  std::vector<double> want(x.size());
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) sum += want[i] = std::exp(double(x[i]) - 1000.0);
  kernels::scalar_table().softmax(x.data(), int(x.size()));
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], want[i] / sum, 1e-6);
}

TEST(Ops, SiluMulIsSwiGlu) {
  std::mt19937 rng(3);
  auto g = random_vector(rng, 33, 4.0f);
  const auto u = random_vector(rng, 33), g0 = g;
  kernels::scalar_table().silu_mul(g.data(), u.data(), 33);
  for (int i = 0; i < 33; ++i) EXPECT_NEAR(g[i], g0[i] / (1 + std::exp(-double(g0[i]))) * u[i], 1e-5);
}

// RoPE as complex multiplication: pair (a, b) becomes (a + ib) * e^{i theta}.
void check_rope(RopeLayout layout) {
  std::mt19937 rng(4);
  const int heads = 3, hd = 16, pairs = hd / 2;
  const auto x0 = random_vector(rng, heads * hd);
  std::vector<float> cos(pairs), sin(pairs);
  std::vector<double> angle(pairs);
  for (int i = 0; i < pairs; ++i) {
    angle[i] = 17.0 * std::pow(10000.0, -2.0 * i / hd);
    cos[i] = float(std::cos(angle[i]));
    sin[i] = float(std::sin(angle[i]));
  }
  auto x = x0;
  ops::rope(x.data(), heads, hd, cos.data(), sin.data(), layout);
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < pairs; ++i) {
      const int a = h * hd + (layout == RopeLayout::interleaved ? 2 * i : i);
      const int b = h * hd + (layout == RopeLayout::interleaved ? 2 * i + 1 : i + pairs);
      const std::complex<double> z = std::complex<double>(x0[a], x0[b]) * std::polar(1.0, angle[i]);
      EXPECT_NEAR(x[a], z.real(), 1e-5);
      EXPECT_NEAR(x[b], z.imag(), 1e-5);
    }
}

TEST(Ops, RopeInterleavedRotatesAdjacentPairs) { check_rope(RopeLayout::interleaved); }
TEST(Ops, RopeHalfSplitRotatesElementsHalfAHeadApart) { check_rope(RopeLayout::half); }

TEST(Ops, RopeInvFreqWithLlama3ScalingKeepsHighAndDividesLowFrequencies) {
  ModelConfig c;
  c.head_dim = 64;
  c.rope_theta = 500000.0f;
  const auto plain = ops::rope_inv_freq(c);
  c.rope_scaling = {.enabled = true, .factor = 8, .low_freq_factor = 1, .high_freq_factor = 4,
                    .original_max_position_embeddings = 8192};
  const auto scaled = ops::rope_inv_freq(c);
  const double pi = 3.14159265358979323846;
  int kept = 0, divided = 0, blended = 0;
  for (size_t i = 0; i < plain.size(); ++i) {
    const double wavelen = 2 * pi / plain[i];
    if (wavelen < 8192.0 / 4) {
      EXPECT_DOUBLE_EQ(scaled[i], plain[i]);
      ++kept;
    } else if (wavelen > 8192.0) {
      EXPECT_DOUBLE_EQ(scaled[i], plain[i] / 8);
      ++divided;
    } else {
      EXPECT_LT(scaled[i], plain[i]);
      EXPECT_GT(scaled[i], plain[i] / 8);
      ++blended;
    }
  }
  EXPECT_GT(kept, 0);
  EXPECT_GT(divided, 0);
  EXPECT_GT(blended, 0);
}

// Multi-head causal attention with GQA written out naively in double, against
// ops::attend driven the way the transformer drives it: the query heads of a
// KV head together.
TEST(Ops, AttendMatchesNaiveCausalGqaAttention) {
  std::mt19937 rng(5);
  const int n = 9, heads = 8, kv_heads = 2, hd = 16, kv_dim = kv_heads * hd, group = heads / kv_heads;
  const auto q = random_vector(rng, n * heads * hd), k = random_vector(rng, n * kv_dim), v = random_vector(rng, n * kv_dim);
  const auto& table = kernels::scalar_table();
  std::vector<float> scores(group * n), out(heads * hd);
  for (int t = 0; t < n; ++t) {
    for (int kvh = 0; kvh < kv_heads; ++kvh) {
      const kernels::CacheRows keys{DType::f32, &k[kvh * hd], kv_dim, t + 1};
      const kernels::CacheRows values{DType::f32, &v[kvh * hd], kv_dim, t + 1};
      ops::attend(&q[(t * heads + kvh * group) * hd], group, keys, values, hd, scores.data(),
                  &out[kvh * group * hd], table);
    }
    for (int h = 0; h < heads; ++h) {
      const int kvh = h / group;
      std::vector<double> w(t + 1);
      double max = -1e300, sum = 0;
      for (int j = 0; j <= t; ++j) {
        double s = 0;
        for (int d = 0; d < hd; ++d) s += double(q[(t * heads + h) * hd + d]) * k[j * kv_dim + kvh * hd + d];
        w[j] = s / std::sqrt(double(hd));
        max = std::max(max, w[j]);
      }
      for (double& x : w) sum += x = std::exp(x - max);
      for (int d = 0; d < hd; ++d) {
        double want = 0;
        for (int j = 0; j <= t; ++j) want += w[j] / sum * v[j * kv_dim + kvh * hd + d];
        EXPECT_NEAR(out[h * hd + d], want, 1e-5) << "t " << t << " head " << h;
      }
    }
  }
}

}  // namespace
}  // namespace llamafast
