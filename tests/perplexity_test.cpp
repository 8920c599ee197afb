// Perplexity scoring (score_stream): the demo model's held-out perplexity equals
// the one the training script computed in PyTorch (issue 7), and the windowing
// equals a direct computation from a fixture's reference logits.
#include "llamafast/perplexity.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "llamafast/model.h"
#include "test_support.h"

namespace llamafast {
namespace {

// -ln softmax(row)[target] and the whole ln-softmax row, computed directly in double.
std::vector<double> log_softmax(std::span<const float> row) {
  double max = row[0];
  for (float x : row) max = std::max(max, double(x));
  double sum = 0;
  for (float x : row) sum += std::exp(double(x) - max);
  std::vector<double> out;
  for (float x : row) out.push_back(double(x) - max - std::log(sum));
  return out;
}

TEST(Perplexity, DemoModelHeldOutMatchesTheTrainingScript) {
  const auto demo = test::source_dir() / "models" / "demo";
  const auto eval = test::read_json(demo / "eval.json");
  const int ctx = eval["ctx"];
  auto model = Model::load({.path = demo.string()});
  ASSERT_TRUE(model.ok()) << model.status().message();
  const auto text = test::read_file(demo / eval["heldout_file"].get<std::string>());
  ASSERT_EQ(text.size(), eval["heldout_bytes"].get<size_t>());
  const std::vector<int> stream = (*model)->tokenizer()->encode(std::string_view(text.data(), text.size()));
  const auto first_ids = eval["first_16_ids"].get<std::vector<int>>();
  ASSERT_GE(stream.size(), first_ids.size());
  EXPECT_EQ(std::vector<int>(stream.begin(), stream.begin() + long(first_ids.size())), first_ids);

  auto session = Session::create(*model, {.max_seq_len = ctx});
  ASSERT_TRUE(session.ok()) << session.status().message();
  double first_window_nll = 0;
  size_t first_window_tokens = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = score_stream(**session, stream, {.ctx = ctx}, [&](const ScoredTokens& piece) {
    if (piece.window == 0) {
      first_window_nll += piece.nll;
      first_window_tokens += piece.targets.size();
    }
    return Status();
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::printf("demo held-out: %zu tokens scored in %.2f s\n", r->token_count, seconds);

  EXPECT_EQ(r->token_count, eval["token_count"].get<size_t>());
  EXPECT_EQ(r->windows, eval["windows"].get<int>());
  EXPECT_EQ(first_window_tokens, eval["first_window_tokens"].get<size_t>());
  EXPECT_NEAR(first_window_nll, eval["first_window_nll"].get<double>(), 1e-3 * eval["first_window_nll"].get<double>());
  EXPECT_NEAR(r->nll_total, eval["nll_total"].get<double>(), 1e-3 * eval["nll_total"].get<double>());
  EXPECT_NEAR(r->perplexity(), eval["ppl"].get<double>(), 1e-3 * eval["ppl"].get<double>());
  EXPECT_NEAR(r->bits_per_byte(text.size()), eval["bits_per_byte"].get<double>(), 1e-3 * eval["bits_per_byte"].get<double>());
}

// A stream that repeats the fixture's first `ctx` tokens, so every window (each
// restarting at position 0) sees a prefix of the reference's single pass and the
// expected log-probabilities come straight from its logits.
class FixtureWindows : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = test::fixtures_dir() / "models" / "llama2c_mha_shared";
    const auto expected = test::read_json(dir / "expected.json");
    tokens_ = expected["tokens"].get<std::vector<int>>();
    ref_ = test::read_floats(dir / "logits.f32");
    vocab_ = expected["config"]["vocab_size"];
    auto model = Model::load({.path = (dir / "model.bin").string(), .load_tokenizer = false});
    ASSERT_TRUE(model.ok()) << model.status().message();
    auto session = Session::create(*model, {.max_seq_len = 32, .threads = 2});
    ASSERT_TRUE(session.ok()) << session.status().message();
    session_ = std::move(session).value();
  }

  std::span<const float> ref_row(size_t pos) const { return std::span<const float>(ref_).subspan(pos * vocab_, vocab_); }

  std::vector<int> tokens_;
  std::vector<float> ref_;
  size_t vocab_ = 0;
  std::unique_ptr<Session> session_;
};

TEST_F(FixtureWindows, ScoresEveryTokenOnceFromFreshWindows) {
  constexpr size_t kCtx = 16;
  std::vector<int> stream;
  for (int rep = 0; rep < 3; ++rep) stream.insert(stream.end(), tokens_.begin(), tokens_.begin() + kCtx);
  stream.insert(stream.end(), tokens_.begin(), tokens_.begin() + 6);  // a last, partial window of 5 inputs

  double expected_nll = 0, scale = 0;
  for (float x : ref_) scale = std::max(scale, double(std::fabs(x)));
  for (size_t t = 0; t + 1 < stream.size(); ++t) expected_nll -= log_softmax(ref_row(t % kCtx))[size_t(stream[t + 1])];

  std::vector<size_t> firsts;
  double max_log_prob_diff = 0;
  auto r = score_stream(*session_, stream, {.ctx = int(kCtx), .log_probs = true}, [&](const ScoredTokens& piece) {
    firsts.push_back(piece.first);
    EXPECT_EQ(piece.targets.data(), stream.data() + piece.first + 1);
    EXPECT_EQ(piece.log_probs.size(), piece.targets.size() * vocab_);
    for (size_t i = 0; i < piece.targets.size(); ++i) {
      const auto want = log_softmax(ref_row((piece.first + i) % kCtx));
      for (size_t v = 0; v < vocab_; ++v)
        max_log_prob_diff = std::max(max_log_prob_diff, std::fabs(piece.log_probs[i * vocab_ + v] - want[v]));
    }
    return Status();
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->token_count, stream.size() - 1);
  EXPECT_EQ(r->windows, 4);
  EXPECT_EQ(firsts, (std::vector<size_t>{0, 16, 32, 48}));
  // Logits agree with the reference to 1e-4 of their scale; ln p to about twice that.
  EXPECT_LT(max_log_prob_diff, 2e-4 * scale);
  EXPECT_NEAR(r->nll_total, expected_nll, 2e-4 * scale * double(r->token_count));
  EXPECT_NEAR(r->perplexity(), std::exp(expected_nll / double(r->token_count)), 1e-4 * r->perplexity());
}

TEST_F(FixtureWindows, OneWindowWhenTheStreamFits) {
  const std::vector<int> stream(tokens_.begin(), tokens_.begin() + 20);
  auto r = score_stream(*session_, stream);  // ctx 0: the session's capacity (32)
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->windows, 1);
  double expected_nll = 0, scale = 0;
  for (float x : ref_) scale = std::max(scale, double(std::fabs(x)));
  for (size_t t = 0; t + 1 < stream.size(); ++t) expected_nll -= log_softmax(ref_row(t))[size_t(stream[t + 1])];
  EXPECT_NEAR(r->nll_total, expected_nll, 2e-4 * scale * double(r->token_count));
}

TEST_F(FixtureWindows, RejectsWhatCannotBeScored) {
  const std::vector<int> one = {tokens_[0]};
  EXPECT_EQ(score_stream(*session_, one).status().code(), StatusCode::invalid_input);
  const std::vector<int> stream(tokens_.begin(), tokens_.begin() + 10);
  const auto too_wide = score_stream(*session_, stream, {.ctx = 33});
  EXPECT_EQ(too_wide.status().code(), StatusCode::invalid_input);
  EXPECT_NE(too_wide.status().message().find("capacity"), std::string::npos) << too_wide.status().message();
  std::vector<int> bad_last = stream;
  bad_last.back() = int(vocab_);  // a target only, never an input
  EXPECT_EQ(score_stream(*session_, bad_last).status().code(), StatusCode::invalid_input);
}

TEST_F(FixtureWindows, ACallbackErrorStopsScoring) {
  const std::vector<int> stream(tokens_.begin(), tokens_.begin() + 40);
  int calls = 0;
  auto r = score_stream(*session_, stream, {.ctx = 8}, [&](const ScoredTokens&) {
    ++calls;
    return Status(StatusCode::internal, "stop here");
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.status().message(), "stop here");
}

}  // namespace
}  // namespace llamafast
