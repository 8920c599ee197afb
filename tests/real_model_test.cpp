// End to end on a real trained model: ../shared/models/aidreams260K, whose
// greedy output was produced by llama2.c's run.c (see ../shared/README.md).
#include "llamafast/generate.h"
#include "llamafast/model.h"
#include "test_support.h"

namespace llamafast {
namespace {

const char* kModel = "models/aidreams260K/model.bin";
const char* kTokenizer = "models/aidreams260K/tok512.bin";

// From ../shared/README.md (llama2.c run.c, checked against a float64 implementation).
const std::vector<int> kPromptIds = {1, 368, 430, 276, 435, 307, 259, 430};
const std::vector<int> kGreedy = {446, 279, 406, 289, 408, 326, 446, 279, 317, 442, 432, 285, 281, 364, 275, 280,
                                  302, 450, 405, 403, 399, 448, 429, 465, 265, 434, 317, 431, 434, 289, 418, 321};

std::shared_ptr<const Model> load_aidreams() {
  auto m = Model::load({.path = (test::shared_dir() / kModel).string(),
                        .tokenizer_path = (test::shared_dir() / kTokenizer).string()});
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? m.value() : nullptr;
}

TEST(RealModel, PromptEncodesLikeLlama2c) {
  LLAMAFAST_REQUIRE_SHARED(kModel);
  auto model = load_aidreams();
  ASSERT_TRUE(model);
  EXPECT_EQ(model->tokenizer()->encode("The machine"), kPromptIds);
}

TEST(RealModel, GreedyGenerationMatchesLlama2cTokenForToken) {
  LLAMAFAST_REQUIRE_SHARED(kModel);
  auto model = load_aidreams();
  ASSERT_TRUE(model);
  auto session = Session::create(model, {});
  ASSERT_TRUE(session.ok());
  Sampler greedy({.temperature = 0.0f});
  std::vector<int> ids;
  std::string text;
  auto stats = generate_tokens(**session, *model->tokenizer(), greedy, kPromptIds, {.max_new_tokens = 32},
                               [&](std::string_view s) { text += s; return true; },
                               [&](int id) { ids.push_back(id); });
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(ids, kGreedy);
  EXPECT_EQ(text.rfind(", features emerge, fragile dance of probability. Contrast edges sh", 0), 0u) << text;
  EXPECT_EQ(stats->generated_tokens, 32);
  EXPECT_EQ(stats->stop_reason, "max-new-tokens");
}

TEST(RealModel, CliGenerateWritesOnlyTheContinuation) {
  LLAMAFAST_REQUIRE_SHARED(kModel);
  const auto r = test::run_cli("generate -m " + test::quote(test::shared_dir() / kModel) + " -z " +
                               test::quote(test::shared_dir() / kTokenizer) +
                               " -p 'The machine' -n 32 --temperature 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind(", features emerge, fragile dance of probability. Contrast edges sh", 0), 0u) << r.out;
  EXPECT_NE(r.err.find("prompt 8 tokens, generated 32 tokens"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("decode"), std::string::npos);
  EXPECT_NE(r.err.find("peak RSS"), std::string::npos);
}

TEST(RealModel, SeededSamplingIsReproducible) {
  LLAMAFAST_REQUIRE_SHARED(kModel);
  const std::string cmd = "generate -m " + test::quote(test::shared_dir() / kModel) + " -z " +
                          test::quote(test::shared_dir() / kTokenizer) +
                          " -p 'The machine' -n 40 --temperature 1 --top-k 0 --top-p 1 --min-p 0 --seed 42";
  const auto a = test::run_cli(cmd), b = test::run_cli(cmd);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  const auto c = test::run_cli(cmd + "3");  // seed 423
  EXPECT_NE(a.out, c.out);
}

}  // namespace
}  // namespace llamafast
