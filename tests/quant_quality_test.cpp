// What quantization costs on real models, asserted: each scheme's export is
// scored against its unquantized source on held-out text (KL divergence per
// position, top-1 agreement). Bounds are justified in docs/quantization.md,
// which scripts/quant-report.sh fills with the full table.
#include "llamafast/export.h"
#include "llamafast/kl_divergence.h"
#include "llamafast/model.h"
#include "llamafast/perplexity.h"
#include "test_support.h"

namespace llamafast {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  const std::vector<char> bytes = test::read_file(path);
  return {bytes.begin(), bytes.end()};
}

struct Scored {
  double ppl = 0;
  std::vector<float> log_probs;  // [tokens][vocab]
};

Scored score(const ModelParams& params, const std::string& text) {
  auto model = Model::load(params);
  EXPECT_TRUE(model.ok()) << model.status().message();
  auto session = Session::create(model.value(), {.max_seq_len = 0, .threads = 2});
  EXPECT_TRUE(session.ok());
  std::vector<int> stream = model.value()->tokenizer()->encode(text, {.add_bos = true});
  Scored s;
  auto r = score_stream(*session.value(), stream, {.ctx = 0, .log_probs = true}, [&](const ScoredTokens& t) {
    s.log_probs.insert(s.log_probs.end(), t.log_probs.begin(), t.log_probs.end());
    return Status();
  });
  EXPECT_TRUE(r.ok()) << r.status().message();
  s.ppl = r.value().perplexity();
  return s;
}

struct Case {
  QuantScheme linear;
  int group;
  QuantScheme embeddings;
  double max_mean_kl;      // nats
  double min_top1;
};

void check_schemes(const ModelParams& source, const std::string& text, const std::vector<Case>& cases) {
  const Scored base = score(source, text);
  const size_t vocab = size_t(Model::load(source).value()->info().vocab_size);
  test::TempDir dir;
  for (const Case& c : cases) {
    ExportOptions o{.source = source.path, .tokenizer_path = source.tokenizer_path, .output = (dir / "q.llf").string()};
    o.linear = c.linear;
    o.group_size = c.group;
    o.embeddings = c.embeddings;
    o.dtype = "fp32";
    ASSERT_TRUE(export_model(o).ok());
    const Scored q = score({.path = o.output}, text);
    ASSERT_EQ(q.log_probs.size(), base.log_probs.size());
    KlAccumulator kl;
    kl.add(base.log_probs, q.log_probs, vocab);
    const KlSummary s = kl.summary();
    const std::string what = "linear " + std::to_string(int(c.linear)) + " group " + std::to_string(c.group) +
                             " embeddings " + std::to_string(int(c.embeddings));
    EXPECT_LE(s.mean, c.max_mean_kl) << what;
    EXPECT_GE(s.top1_agreement, c.min_top1) << what;
    EXPECT_GT(s.mean, 0.0) << what << ": quantization changed nothing";
    std::printf("  %s: mean KL %.3g, top-1 %.4f, ppl %.4f -> %.4f\n", what.c_str(), s.mean, s.top1_agreement,
                base.ppl, q.ppl);
  }
}

// Bounds: about 1.5x the values docs/quantization.md reports for these texts
// (int8 top-1 is the 99%, measured 99.4%).
TEST(QuantQuality, RealModelAidreams) {
  LLAMAFAST_REQUIRE_SHARED("models/aidreams260K/model.bin");
  const fs::path dir = test::shared_dir() / "models" / "aidreams260K";
  check_schemes({.path = (dir / "model.bin").string(), .tokenizer_path = (dir / "tok512.bin").string()},
                read_text(test::fixtures_dir() / "text" / "aidreams_samples.txt"),
                {{QuantScheme::int8, 32, QuantScheme::none, 2e-4, 0.99},
                 {QuantScheme::int4, 32, QuantScheme::none, 0.05, 0.85},
                 {QuantScheme::da8w4, 32, QuantScheme::none, 0.05, 0.85},
                 {QuantScheme::da8w8, 32, QuantScheme::none, 8e-4, 0.97},
                 {QuantScheme::int4, 128, QuantScheme::none, 0.06, 0.83},
                 {QuantScheme::int8, 32, QuantScheme::int8, 2.5e-4, 0.99}});
}

// The demo model on the first 12 kB of its held-out text.
TEST(QuantQuality, DemoModel) {
  std::string text = read_text(test::source_dir() / "models" / "demo" / "heldout.txt");
  text.resize(12000);
  check_schemes({.path = (test::source_dir() / "models" / "demo").string()}, text,
                {{QuantScheme::int8, 32, QuantScheme::none, 1e-4, 0.99},
                 {QuantScheme::int4, 32, QuantScheme::none, 0.017, 0.88},
                 {QuantScheme::da8w4, 32, QuantScheme::none, 0.018, 0.88},
                 {QuantScheme::da8w8, 32, QuantScheme::none, 1.5e-3, 0.96},
                 {QuantScheme::int4, 128, QuantScheme::int4, 0.04, 0.83}});
}

}  // namespace
}  // namespace llamafast
