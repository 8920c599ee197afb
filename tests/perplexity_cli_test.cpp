// `llamafast perplexity` end to end on the demo model with a short text:
// output formats, saving and comparing --kl-base files, and their refusals.
#include <cstdlib>

#include "test_support.h"

namespace llamafast {
namespace {

using test::quote;
using test::TempDir;

const auto kHeldOut = test::source_dir() / "models" / "demo" / "heldout.txt";

class PerplexityCli : public ::testing::Test {
 protected:
  void SetUp() override {
    // About 600 tokens of the held-out text: ten windows of 64, quick to score
    // even with the scalar kernels.
    const auto text = test::read_file(kHeldOut);
    test::write_file(text_, text.data(), 1500);
    test::write_file(other_text_, text.data() + 1500, 1500);
  }

  test::CommandResult run(const std::string& args) { return test::run_cli("perplexity -f " + quote(text_) + " " + args); }

  TempDir dir_;
  std::filesystem::path text_ = dir_ / "text.txt", other_text_ = dir_ / "other.txt", base_ = dir_ / "base.lp";
};

TEST_F(PerplexityCli, PrintsPerplexityAndBitsPerByte) {
  const auto r = run("--ctx 64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("using the bundled demo model"), std::string::npos) << r.err;
  double ppl = 0, bpb = 0;
  size_t tokens = 0;
  int windows = 0;
  ASSERT_EQ(std::sscanf(r.out.c_str(), "perplexity %lf  bits/byte %lf  tokens %zu  windows %d", &ppl, &bpb, &tokens,
                        &windows), 4) << r.out;
  EXPECT_GT(ppl, 5);
  EXPECT_LT(ppl, 200);
  EXPECT_EQ(size_t(windows), (tokens + 63) / 64);
  EXPECT_NE(r.err.find("tok/s"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no progress bar when stderr is not a terminal";
}

TEST_F(PerplexityCli, KlBaseIsSavedThenComparedWith) {
  const auto saved = run("--ctx 64 --json --kl-base " + quote(base_));
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  const auto first = nlohmann::json::parse(saved.out);
  EXPECT_EQ(first["kl_base_saved"], base_.string());
  const size_t tokens = first["token_count"];
  EXPECT_EQ(std::filesystem::file_size(base_), 48 + tokens * 2048 * 4);

  const auto same = run("--ctx 64 --json --kl-base " + quote(base_));
  ASSERT_EQ(same.exit_code, 0) << same.err;
  const auto kl = nlohmann::json::parse(same.out)["kl"];
  EXPECT_EQ(kl["mean"].get<double>(), 0.0);
  EXPECT_EQ(kl["max"].get<double>(), 0.0);
  EXPECT_EQ(kl["top1_agreement"].get<double>(), 1.0);
  EXPECT_NEAR(kl["base_perplexity"].get<double>(), first["perplexity"].get<double>(), 1e-9);
  EXPECT_EQ(kl["delta_perplexity"].get<double>(), 0.0);

  // The scalar kernels sum in another order: a tiny but real divergence.
  ::setenv("LLAMAFAST_ISA", "scalar", 1);
  const auto scalar = run("--ctx 64 --kl-base " + quote(base_));
  ::unsetenv("LLAMAFAST_ISA");
  ASSERT_EQ(scalar.exit_code, 0) << scalar.err;
  double mean = -1, p99 = -1, max = -1, top1 = 0;
  const size_t at = scalar.out.find("kl_mean");
  ASSERT_NE(at, std::string::npos) << scalar.out;
  ASSERT_EQ(std::sscanf(scalar.out.c_str() + at, "kl_mean %lf  kl_p99 %lf  kl_max %lf  top1 %lf%%", &mean, &p99, &max,
                        &top1), 4) << scalar.out;
  EXPECT_GE(mean, 0);
  EXPECT_LT(mean, 1e-6);
  EXPECT_LE(p99, max);
  EXPECT_LT(max, 1e-4);
  EXPECT_GT(top1, 99.0);
  EXPECT_NE(scalar.out.find("delta_perplexity"), std::string::npos) << scalar.out;
}

TEST_F(PerplexityCli, KlBaseForAnotherTextWindowOrTruncatedIsRefused) {
  ASSERT_EQ(run("--ctx 64 --kl-base " + quote(base_)).exit_code, 0);

  const auto other = test::run_cli("perplexity -f " + quote(other_text_) + " --ctx 64 --kl-base " + quote(base_));
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find(base_.string() + ": made for a different token stream"), std::string::npos) << other.err;

  const auto window = run("--ctx 32 --kl-base " + quote(base_));
  EXPECT_EQ(window.exit_code, 2);
  EXPECT_NE(window.err.find("--ctx 64"), std::string::npos) << window.err;

  std::filesystem::resize_file(base_, std::filesystem::file_size(base_) - 4);
  const auto truncated = run("--ctx 64 --kl-base " + quote(base_));
  EXPECT_EQ(truncated.exit_code, 2);
  EXPECT_NE(truncated.err.find(base_.string() + ": truncated"), std::string::npos) << truncated.err;
  EXPECT_EQ(std::count(truncated.err.begin(), truncated.err.end(), '\n'), 2) << "the demo-model note, then one line";
}

TEST_F(PerplexityCli, BadInputIsOneLineAndExitTwo) {
  const auto missing = test::run_cli("perplexity -f " + quote(dir_ / "missing.txt"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("missing.txt: cannot read"), std::string::npos) << missing.err;
  test::write_file(dir_ / "empty.txt", "", 0);
  const auto empty = test::run_cli("perplexity -f " + quote(dir_ / "empty.txt"));
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("empty.txt: no tokens"), std::string::npos) << empty.err;
  EXPECT_EQ(run("--ctx 0").exit_code, 2);
  const auto help = test::run_cli("perplexity --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--kl-base"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace llamafast
