// The bundled demo model (models/demo, trained by scripts/train_demo.py):
// greedy generation equals the PyTorch reference the training script recorded.
#include "llamafast/generate.h"
#include "llamafast/model.h"
#include "test_support.h"

namespace llamafast {
namespace {

const auto kDemo = test::source_dir() / "models" / "demo";

TEST(DemoModel, GreedyGenerationMatchesTheTrainingScriptsReference) {
  const auto ref = test::read_json(kDemo / "eval.json")["greedy_reference"];
  const auto expected = ref["ids"].get<std::vector<int>>();  // BOS + prompt + 32 greedy ids
  auto model = Model::load({.path = kDemo.string()});
  ASSERT_TRUE(model.ok()) << model.status().message();
  const auto prompt = (*model)->tokenizer()->encode(ref["prompt"].get<std::string>());
  ASSERT_LT(prompt.size(), expected.size());
  ASSERT_EQ(prompt, std::vector<int>(expected.begin(), expected.begin() + long(prompt.size())));

  auto session = Session::create(*model, {});
  ASSERT_TRUE(session.ok());
  Sampler greedy({.temperature = 0.0f});
  std::vector<int> ids = prompt;
  std::string text;
  auto stats = generate_tokens(**session, *(*model)->tokenizer(), greedy, prompt,
                               {.max_new_tokens = int(expected.size() - prompt.size())},
                               [&](std::string_view s) { text += s; return true; },
                               [&](int id) { ids.push_back(id); });
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(ref["prompt"].get<std::string>() + text, ref["text"].get<std::string>());
}

TEST(DemoModel, CliUsesTheDemoModelWhenNoModelIsGiven) {
  const auto r = test::run_cli("generate -p 'The computer' -n 8 --temperature 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("using the bundled demo model"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.rfind(" programming language is that", 0), 0u) << r.out;
}

}  // namespace
}  // namespace llamafast
