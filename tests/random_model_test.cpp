// Random-weight benchmark models: real shapes, deterministic rows, written
// straight to a .llf in any scheme.
#include <cmath>

#include "llamafast/model.h"
#include "quant/random_model.h"
#include "test_support.h"

namespace llamafast {
namespace {

TEST(RandomModel, ShapesAreTheRealOnes) {
  const auto ck = random_checkpoint("llama-3.2-1b");
  const ModelConfig& c = ck->config;
  EXPECT_EQ(c.dim, 2048);
  EXPECT_EQ(c.hidden_dim, 8192);
  EXPECT_EQ(c.n_layers, 16);
  EXPECT_EQ(c.n_kv_heads, 8);
  EXPECT_EQ(c.vocab_size, 128256);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ(ck->tensors.count("output.weight"), 0u);
  EXPECT_EQ(ck->tensors.at("layers.15.attention.wk.weight").shape, (std::vector<int64_t>{512, 2048}));
  const auto tiny = random_checkpoint("tinyllama-1.1b");
  EXPECT_EQ(tiny->tensors.at("output.weight").shape, (std::vector<int64_t>{32000, 2048}));
  int64_t params = 0;
  for (const auto& [name, t] : tiny->tensors) params += t.numel();
  EXPECT_NEAR(double(params), 1.1e9, 0.01e9);
  EXPECT_THROW(random_checkpoint("llama-9"), Error);
}

TEST(RandomModel, RowsAreDeterministicWithTheIntendedSpread) {
  std::vector<float> a(4096), b(4096), c(4096);
  random_row("layers.0.attention.wq.weight", false, 7, a.data(), 4096);
  random_row("layers.0.attention.wq.weight", false, 7, b.data(), 4096);
  random_row("layers.0.attention.wq.weight", false, 8, c.data(), 4096);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  double sum = 0, sq = 0;
  for (float x : a) sum += x, sq += double(x) * x;
  EXPECT_NEAR(sum / 4096, 0.0, 0.002);
  EXPECT_NEAR(std::sqrt(sq / 4096), 0.02, 0.001);
  random_row("norm.weight", true, 0, a.data(), 16);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(a[size_t(i)], 1.0f);
}

TEST(RandomModel, InitRandomWritesARunnableQuantizedFile) {
  test::TempDir dir;
  const auto r = test::run_cli("init-random --shape stories110m --quantize-linear 8da4w -o " + test::quote(dir / "s.llf"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto m = Model::load({.path = (dir / "s.llf").string(), .load_tokenizer = false});
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m.value()->info().dim, 768);
  EXPECT_EQ(m.value()->info().weight_dtype, "q4");
  auto s = Session::create(m.value(), {.max_seq_len = 8, .threads = 2});
  ASSERT_TRUE(s.ok());
  auto logits = s.value()->prefill(std::vector<int>{1, 2, 3});
  ASSERT_TRUE(logits.ok());
  for (float v : logits.value()) ASSERT_TRUE(std::isfinite(v));
  EXPECT_EQ(test::run_cli("init-random --shape gpt-5 -o " + test::quote(dir / "x.llf")).exit_code, 2);
}

// The CLI flag reaches the file: bf16 matrices marked for bf16 activations,
// and refused (one line, exit 2: a bad option) without bf16 matrices.
TEST(RandomModel, InitRandomWritesBf16ActivationsOnlyWithBf16Matrices) {
  test::TempDir dir;
  auto r = test::run_cli("init-random --shape stories110m --dtype bf16 --bf16-activations -o " +
                         test::quote(dir / "a.llf"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_cli("inspect " + test::quote(dir / "a.llf"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("layers.0.feed_forward.w2.weight"), std::string::npos);
  EXPECT_NE(r.out.find("bf16 activations"), std::string::npos);
  r = test::run_cli("init-random --shape stories110m --quantize-linear int4 --bf16-activations -o " +
                    test::quote(dir / "b.llf"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--bf16-activations needs"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace llamafast
