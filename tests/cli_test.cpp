// The CLI surface: help, version, `logits` output files, KV cache and bench options.
#include "llamafast/model.h"
#include "test_support.h"

namespace llamafast {
namespace {

using test::TempDir;
const auto kFixture = test::fixtures_dir() / "models" / "llama2c_gqa_untied";

TEST(Cli, VersionPrintsTheVersion) {
  const auto r = test::run_cli("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("llamafast "), std::string::npos) << r.out;
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* sub : {"generate", "chat", "logits", "bench", "tokenize"}) {
    const auto r = test::run_cli(std::string(sub) + " --help");
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_NE(r.out.find("-m,--model"), std::string::npos) << sub << ": " << r.out;
  }
}

TEST(Cli, NoSubcommandIsAUsageError) { EXPECT_EQ(test::run_cli("").exit_code, 2); }

TEST(Cli, LogitsWritesNpyMatchingTheReference) {
  TempDir dir;
  const auto expected = test::read_json(kFixture / "expected.json");
  const auto tokens = expected["tokens"].get<std::vector<int>>();
  std::string ids;
  for (int t : tokens) ids += std::to_string(t) + " ";
  const auto r = test::run_cli("logits -m " + test::quote(kFixture / "model.bin") + " --tokens '" + ids + "' -o " +
                               test::quote(dir / "l.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto npy = test::read_file(dir / "l.npy");
  ASSERT_GT(npy.size(), 10u);
  ASSERT_EQ(std::string(npy.data(), 6), "\x93NUMPY");
  const size_t header_len = uint8_t(npy[8]) | (uint8_t(npy[9]) << 8);
  ASSERT_EQ((10 + header_len) % 64, 0u) << "numpy requires a 64-byte aligned data start";
  const std::string header(npy.data() + 10, header_len);
  const int vocab = expected["config"]["vocab_size"];
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_NE(header.find("'shape': (" + std::to_string(tokens.size()) + ", " + std::to_string(vocab) + ")"),
            std::string::npos) << header;
  ASSERT_EQ(npy.size(), 10 + header_len + tokens.size() * vocab * 4);

  const auto want = test::read_floats(kFixture / "logits.f32");
  std::vector<float> got(want.size());
  std::memcpy(got.data(), npy.data() + 10 + header_len, got.size() * 4);
  float max_diff = 0, max_abs = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(got[i] - want[i]));
    max_abs = std::max(max_abs, std::fabs(want[i]));
  }
  EXPECT_LT(max_diff / max_abs, 1e-4);
}

TEST(Cli, LogitsRawOutputIsBareFloats) {
  TempDir dir;
  const auto r = test::run_cli("logits -m " + test::quote(kFixture / "model.bin") + " --tokens '3 4 5' -o " +
                               test::quote(dir / "l.f32"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int vocab = test::read_json(kFixture / "expected.json")["config"]["vocab_size"];
  EXPECT_EQ(test::read_file(dir / "l.f32").size(), size_t(3 * vocab * 4));
}

TEST(Cli, BenchReportsSpeedsAndRooflineAsJson) {
  const auto r = test::run_cli("bench -m " + test::quote(kFixture / "model.bin") + " -p 8 -n 4 -r 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["pp_tok_s"].get<double>(), 0);
  EXPECT_GT(j["tg_tok_s"].get<double>(), 0);
  EXPECT_GT(j["read_bandwidth_bytes_s"].get<double>(), 1e8);
  EXPECT_GT(j["decode_roofline_ratio"].get<double>(), 0);
  EXPECT_EQ(j["n_prompt"].get<int>(), 8);
  EXPECT_EQ(j["repetitions"].get<int>(), 2);
}

// The session's KV cache type reaches the model: with --kv-cache bf16 the
// logits are those of the reference whose keys and values are rounded to bf16
// (the model tests bound how closely), far nearer them than the f32 ones.
TEST(Cli, KvCacheOptionRoundsTheCache) {
  TempDir dir;
  const auto expected = test::read_json(kFixture / "expected.json");
  std::string ids;
  for (int t : expected["tokens"].get<std::vector<int>>()) ids += std::to_string(t) + " ";
  const auto r = test::run_cli("logits -m " + test::quote(kFixture / "model.bin") + " --kv-cache bf16 --tokens '" +
                               ids + "' -o " + test::quote(dir / "l.f32"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto got = test::read_floats(dir / "l.f32");
  const auto rounded = test::read_floats(kFixture / expected["logits_kv_cache"]["bf16"].get<std::string>());
  const auto exact = test::read_floats(kFixture / "logits.f32");
  ASSERT_EQ(got.size(), rounded.size());
  ASSERT_EQ(got.size(), exact.size());
  double to_rounded = 0, to_exact = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    to_rounded += (double(got[i]) - rounded[i]) * (double(got[i]) - rounded[i]);
    to_exact += (double(got[i]) - exact[i]) * (double(got[i]) - exact[i]);
  }
  EXPECT_LT(to_rounded, 0.1 * to_exact);
}

TEST(Cli, KvCacheOfAnotherTypeIsAUsageError) {
  const auto r = test::run_cli("logits -m " + test::quote(kFixture / "model.bin") + " --kv-cache q8 --tokens '1 2'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--kv-cache"), std::string::npos) << r.err;
}

// -d: both tests start after that many cached positions, which decode reads
// on top of the weights: bytes per token = weights + KV bytes per position *
// (depth + (n - 1) / 2), the KV bytes from the fixture's shape (f16: 2 bytes).
TEST(Cli, BenchAtDepthCountsTheCachedPositions) {
  const auto r = test::run_cli("bench -m " + test::quote(kFixture / "model.bin") +
                               " -p 4 -n 5 -d 16 -r 1 --kv-cache f16 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto c = test::read_json(kFixture / "expected.json")["config"];
  const double kv_per_position = 2.0 * c["n_layers"].get<int>() * c["n_kv_heads"].get<int>() * c["head_dim"].get<int>() * 2;
  EXPECT_EQ(j["n_depth"].get<int>(), 16);
  EXPECT_EQ(j["kv_cache"].get<std::string>(), "f16");
  EXPECT_DOUBLE_EQ(j["bytes_per_token"].get<double>(), j["weight_bytes"].get<double>() + kv_per_position * (16 + 2));
  EXPECT_GT(j["tg_tok_s"].get<double>(), 0);
}

TEST(Cli, GenerateWithoutTokenizerExplainsHowToPassOne) {
  const auto r = test::run_cli("generate -m " + test::quote(kFixture / "model.bin") + " -p hi");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("-z"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace llamafast
