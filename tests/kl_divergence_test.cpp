// The --kl-base pieces: KL(base || model) statistics and the log-probability file.
#include "llamafast/kl_divergence.h"

#include <cmath>

#include "llamafast/log_prob_file.h"
#include "test_support.h"

namespace llamafast {
namespace {

std::vector<float> ln(std::initializer_list<double> probs) {
  std::vector<float> out;
  for (double p : probs) out.push_back(float(std::log(p)));
  return out;
}

TEST(KlDivergence, IdenticalRowsGiveZeroAndFullAgreement) {
  KlAccumulator acc;
  const auto rows = ln({0.7, 0.2, 0.1, 0.25, 0.25, 0.5});
  acc.add(rows, rows, 3);
  const KlSummary s = acc.summary();
  EXPECT_EQ(s.positions, 2u);
  EXPECT_EQ(s.mean, 0.0);
  EXPECT_EQ(s.max, 0.0);
  EXPECT_EQ(s.top1_agreement, 1.0);
}

TEST(KlDivergence, MatchesTheDefinition) {
  KlAccumulator acc;
  acc.add(ln({0.5, 0.5}), ln({0.9, 0.1}), 2);  // argmax: 0 (first of a tie) vs 0
  acc.add(ln({0.2, 0.8}), ln({0.6, 0.4}), 2);  // argmax: 1 vs 0
  const double kl1 = 0.5 * std::log(0.5 / 0.9) + 0.5 * std::log(0.5 / 0.1);
  const double kl2 = 0.2 * std::log(0.2 / 0.6) + 0.8 * std::log(0.8 / 0.4);
  const KlSummary s = acc.summary();
  EXPECT_NEAR(s.mean, (kl1 + kl2) / 2, 1e-6);
  EXPECT_NEAR(s.max, std::max(kl1, kl2), 1e-6);
  EXPECT_NEAR(s.p99, std::max(kl1, kl2), 1e-6);
  EXPECT_EQ(s.top1_agreement, 0.5);
}

TEST(KlDivergence, NinetyNinthPercentileIsNearestRank) {
  KlAccumulator acc;
  // 200 positions: KL 0 for 197 of them, then three growing ones.
  for (int i = 0; i < 200; ++i) {
    const double q = i < 197 ? 0.5 : 0.5 + 0.1 * (i - 196);
    acc.add(ln({0.5, 0.5}), ln({q, 1 - q}), 2);
  }
  const KlSummary s = acc.summary();
  const auto kl = [](double q) { return 0.5 * std::log(0.5 / q) + 0.5 * std::log(0.5 / (1 - q)); };
  EXPECT_NEAR(s.p99, kl(0.6), 1e-6);  // rank 198 of 200
  EXPECT_NEAR(s.max, kl(0.8), 1e-6);
}

class LogProbFile : public ::testing::Test {
 protected:
  LogProbHeader header() const {
    return {.vocab = 3, .token_count = 4, .ctx = 2, .token_hash = hash_tokens(stream_)};
  }
  std::string write_file() {
    auto w = LogProbWriter::create(path_, header());
    EXPECT_TRUE(w.ok()) << w.status().message();
    EXPECT_TRUE((*w)->append(std::span<const float>(rows_).first(6)).ok());
    EXPECT_TRUE((*w)->append(std::span<const float>(rows_).subspan(6)).ok());
    const Status st = (*w)->commit(12.5);
    EXPECT_TRUE(st.ok()) << st.message();
    return path_;
  }

  test::TempDir dir_;
  std::string path_ = (dir_ / "base.lp").string();
  std::vector<int> stream_ = {1, 5, 6, 7, 8};
  std::vector<float> rows_ = {-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12};
};

TEST_F(LogProbFile, RoundTrips) {
  write_file();
  EXPECT_EQ(std::filesystem::file_size(path_), 48u + rows_.size() * 4);
  auto r = LogProbReader::open(path_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE((*r)->check_matches(header()).ok());
  EXPECT_EQ((*r)->header().nll_total, 12.5);
  std::vector<float> got(6);
  ASSERT_TRUE((*r)->read(2, got).ok());
  EXPECT_EQ(got, std::vector<float>(rows_.begin() + 6, rows_.end()));
  EXPECT_FALSE((*r)->read(3, got).ok()) << "past the end";
}

TEST_F(LogProbFile, AnUncommittedWriterLeavesNothing) {
  {
    auto w = LogProbWriter::create(path_, header());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->append(std::span<const float>(rows_).first(3)).ok());
    EXPECT_FALSE((*w)->commit(1.0).ok()) << "3 of 4 rows";
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
}

TEST_F(LogProbFile, RefusesAnotherStreamVocabularyOrWindow) {
  write_file();
  auto r = LogProbReader::open(path_);
  ASSERT_TRUE(r.ok());
  LogProbHeader other = header();
  other.token_hash = hash_tokens(std::vector<int>{1, 5, 6, 7, 9});
  Status st = (*r)->check_matches(other);
  EXPECT_EQ(st.code(), StatusCode::invalid_input);
  EXPECT_NE(st.message().find(path_ + ": made for a different token stream"), std::string::npos) << st.message();
  other = header();
  other.vocab = 4;
  EXPECT_NE((*r)->check_matches(other).message().find("vocabulary"), std::string::npos);
  other = header();
  other.ctx = 3;
  EXPECT_NE((*r)->check_matches(other).message().find("--ctx"), std::string::npos);
}

TEST_F(LogProbFile, RefusesTruncatedOrForeignFiles) {
  write_file();
  std::filesystem::resize_file(path_, 48 + 11 * 4);
  auto r = LogProbReader::open(path_);
  EXPECT_EQ(r.status().code(), StatusCode::invalid_input);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();

  test::write_file(path_, "hello", 5);
  EXPECT_EQ(LogProbReader::open(path_).status().code(), StatusCode::invalid_input);
  const std::string foreign(64, 'x');
  test::write_file(path_, foreign.data(), foreign.size());
  EXPECT_NE(LogProbReader::open(path_).status().message().find("bad magic"), std::string::npos);
  EXPECT_EQ(LogProbReader::open((dir_ / "missing").string()).status().code(), StatusCode::invalid_input);
}

TEST(LogProbHash, DependsOnEveryIdAndItsPlace) {
  const std::vector<int> a = {1, 2, 3}, b = {1, 3, 2}, c = {1, 2, 3, 0};
  EXPECT_NE(hash_tokens(a), hash_tokens(b));
  EXPECT_NE(hash_tokens(a), hash_tokens(c));
  EXPECT_EQ(hash_tokens(a), hash_tokens(std::vector<int>{1, 2, 3}));
}

}  // namespace
}  // namespace llamafast
