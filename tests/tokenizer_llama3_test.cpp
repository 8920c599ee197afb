// Llama 3's tokenizer in both of its file formats: Meta's tiktoken tokenizer.model
// and Hugging Face's tokenizer.json. Golden ids come from llama.cpp's llama-bpe
// vectors (computed with Hugging Face tokenizers) and from an independent encoder,
// @lenml/tokenizers (scripts/tokenizer/llama3_reference.mjs), over the shared corpus.
#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "llamafast/tokenizer.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/tiktoken_tokenizer.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LLAMAFAST_TEST_CLANG_ASAN 1
#endif
#endif
#ifndef LLAMAFAST_TEST_CLANG_ASAN
#define LLAMAFAST_TEST_CLANG_ASAN 0
#endif

namespace llamafast {
namespace {

namespace fs = std::filesystem;

const fs::path kShared = LLAMAFAST_SHARED_DIR;
const fs::path kSource = LLAMAFAST_SOURCE_DIR;
const fs::path kLlama3Dir = kShared / "tokenizers" / "llama3";
const fs::path kFixtures = kSource / "tests" / "fixtures" / "tokenizer";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

#define SKIP_WITHOUT_LLAMA3()                                                                    \
  if (!fs::exists(kLlama3Dir / "tokenizer.json") || !fs::exists(kLlama3Dir / "tokenizer.model")) \
  GTEST_SKIP() << "shared Llama 3 tokenizer files not found in " << kLlama3Dir                   \
               << " (set LLAMAFAST_SHARED_DIR to the shared/ folder)"

// Both Llama 3 tokenizers, loaded once for the whole suite (loading takes a while).
class Llama3 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(kLlama3Dir / "tokenizer.json") || !fs::exists(kLlama3Dir / "tokenizer.model")) return;
    auto hf = load_tokenizer((kLlama3Dir / "tokenizer.json").string());
    auto tt = load_tokenizer((kLlama3Dir / "tokenizer.model").string());
    ASSERT_TRUE(hf.ok()) << hf.status().message();
    ASSERT_TRUE(tt.ok()) << tt.status().message();
    hf_ = std::move(hf).value().release();
    tiktoken_ = std::move(tt).value().release();
  }
  static void TearDownTestSuite() {
    delete hf_;
    delete tiktoken_;
    hf_ = tiktoken_ = nullptr;
  }
  void SetUp() override { SKIP_WITHOUT_LLAMA3(); }

  // Each tokenizer with a name for failure messages.
  static std::vector<std::pair<const char*, const Tokenizer*>> both() {
    return {{"tokenizer.json", hf_}, {"tokenizer.model", tiktoken_}};
  }

  static inline Tokenizer* hf_ = nullptr;
  static inline Tokenizer* tiktoken_ = nullptr;
};

constexpr EncodeOptions kPlain{.add_bos = false, .parse_special = false};

std::vector<std::string> read_corpus() {
  std::vector<std::string> out;
  std::ifstream in(kFixtures / "corpus.jsonl");
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line).get<std::string>());
  return out;
}

std::vector<std::vector<int>> read_expected(const fs::path& p) {
  std::vector<std::vector<int>> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line).get<std::vector<int>>());
  return out;
}

// llama.cpp's test vectors: inputs end with "\n__ggml_vocab_test__\n"; the
// outputs are one line of space-separated ids per input.
std::vector<std::pair<std::string, std::vector<int>>> read_llama_bpe_vectors() {
  const fs::path dir = kShared / "testdata" / "tokenizer";
  const std::string inp = read_file(dir / "llama-bpe.inp");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  for (size_t pos = 0; pos < inp.size();) {
    size_t hit = inp.find(sep, pos);
    if (hit == std::string::npos) hit = inp.size();
    inputs.push_back(inp.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
  std::vector<std::pair<std::string, std::vector<int>>> out;
  std::ifstream in(dir / "llama-bpe.out");
  size_t i = 0;
  for (std::string line; std::getline(in, line); ++i) {
    std::vector<int> ids;
    std::istringstream ss(line);
    for (int id; ss >> id;) ids.push_back(id);
    out.emplace_back(i < inputs.size() ? inputs[i] : std::string(), std::move(ids));
  }
  EXPECT_EQ(inputs.size(), out.size()) << "llama-bpe.inp and llama-bpe.out disagree on the number of entries";
  return out;
}

TEST_F(Llama3, BothFilesMatchLlamaCppBpeVectors) {
  if (!fs::exists(kShared / "testdata" / "tokenizer" / "llama-bpe.inp")) GTEST_SKIP() << "llama-bpe vectors absent";
  const auto vectors = read_llama_bpe_vectors();
  ASSERT_EQ(vectors.size(), 46u);
  for (auto [name, tok] : both()) {
    int passed = 0;
    for (const auto& [text, ids] : vectors) {
      EXPECT_EQ(tok->encode(text, kPlain), ids) << name << " on '" << text << "'";
      passed += tok->encode(text, kPlain) == ids;
    }
    EXPECT_EQ(passed, int(vectors.size())) << name;
  }
}

TEST_F(Llama3, BothFilesMatchIndependentReferenceOnCorpus) {
  const auto corpus = read_corpus();
  const auto expected = read_expected(kFixtures / "llama3_expected.jsonl");
  ASSERT_GE(corpus.size(), 2000u);
  ASSERT_EQ(corpus.size(), expected.size())
      << "regenerate llama3_expected.jsonl with scripts/tokenizer/llama3_reference.mjs";
  for (auto [name, tok] : both()) {
    size_t mismatches = 0;
    for (size_t i = 0; i < corpus.size(); ++i) {
      if (tok->encode(corpus[i], kPlain) == expected[i]) continue;
      if (++mismatches <= 5) ADD_FAILURE() << name << ": corpus line " << i + 1 << " differs: " << corpus[i];
    }
    EXPECT_EQ(mismatches, 0u) << name << ": " << mismatches << " of " << corpus.size() << " lines differ";
  }
}

TEST_F(Llama3, TiktokenAndJsonGiveIdenticalIds) {
  // Without special-token parsing: the two files name some reserved ids
  // differently (Llama 3.0's tokenizer.json vs Meta's 3.1+ list for tiktoken).
  for (const std::string& s : read_corpus()) ASSERT_EQ(hf_->encode(s, kPlain), tiktoken_->encode(s, kPlain)) << s;
}

TEST_F(Llama3, DecodeOfEncodeReturnsTheText) {
  auto corpus = read_corpus();
  corpus.push_back("invalid UTF-8: \xff\xfe \xc3( \xe2\x82 end\xf0");
  corpus.push_back(std::string("nul \0 byte", 10));
  for (auto [name, tok] : both())
    for (const std::string& s : corpus) {
      ASSERT_EQ(tok->decode_all(tok->encode(s, kPlain)), s) << name;
      ASSERT_EQ(tok->decode_all(tok->encode(s, {.add_bos = false, .parse_special = true})), s) << name;
    }
}

TEST_F(Llama3, SpecialTokenTextBecomesIdsOnlyWithParseSpecial) {
  const std::string chat = "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>";
  for (auto [name, tok] : both()) {
    const std::vector<int> parsed = tok->encode(chat, {.add_bos = true, .parse_special = true});
    EXPECT_EQ(parsed, (std::vector<int>{128000, 128006, 882, 128007, 271, 13347, 0, 128009})) << name;
    const std::vector<int> plain = tok->encode(chat, kPlain);
    for (int id : plain) EXPECT_LT(id, 128000) << name;
    EXPECT_EQ(tok->decode_all(plain), chat) << name;
    EXPECT_EQ(tok->encode("<|begin_of_text|>", {.add_bos = false, .parse_special = true}), std::vector<int>{128000})
        << name;
  }
}

TEST_F(Llama3, AddBosPrependsBeginOfText) {
  for (auto [name, tok] : both()) {
    EXPECT_EQ(tok->encode("Hello world"), (std::vector<int>{128000, 9906, 1917})) << name;
    EXPECT_EQ(tok->encode("", {.add_bos = true}), std::vector<int>{128000}) << name;
    EXPECT_TRUE(tok->encode("", kPlain).empty()) << name;
  }
}

TEST_F(Llama3, VocabularyBosEosAndControlTokens) {
  for (auto [name, tok] : both()) {
    EXPECT_EQ(tok->vocab_size(), 128256) << name;
    EXPECT_EQ(tok->bos_id(), 128000) << name;
    const std::vector<int> eos = tok->eos_ids();
    for (int id : {128001, 128009}) EXPECT_NE(std::find(eos.begin(), eos.end(), id), eos.end()) << name << " " << id;
    EXPECT_TRUE(tok->is_control(128000)) << name;
    EXPECT_TRUE(tok->is_control(128009)) << name;
    EXPECT_FALSE(tok->is_control(9906)) << name;
    EXPECT_EQ(tok->decode(-1, 128009), "<|eot_id|>") << name;
    EXPECT_EQ(tok->decode(-1, 9906), "Hello") << name;
    EXPECT_EQ(tok->decode(9906, 1917), " world") << name;
    EXPECT_EQ(tok->decode(-1, 128256), "") << name;
    EXPECT_EQ(tok->decode(-1, -1), "") << name;
  }
  EXPECT_EQ(hf_->piece(1917), "\xC4\xA0world");  // as written in tokenizer.json ("Ġworld")
  EXPECT_EQ(tiktoken_->piece(1917), " world");
}

TEST_F(Llama3, TiktokenFollowsMetasLlama31SpecialTokens) {
  const auto eos = tiktoken_->eos_ids();
  EXPECT_EQ(eos, (std::vector<int>{128001, 128009, 128008}));
  const EncodeOptions special{.add_bos = false, .parse_special = true};
  EXPECT_EQ(tiktoken_->encode("<|eom_id|><|python_tag|><|reserved_special_token_2|>", special),
            (std::vector<int>{128008, 128010, 128011}));
  EXPECT_EQ(tiktoken_->encode("<|reserved_special_token_246|>", special), std::vector<int>{128255});
}

TEST_F(Llama3, JsonExposesChatTemplateFromTokenizerConfig) {
  const auto* hf = dynamic_cast<const HfTokenizer*>(hf_);
  ASSERT_NE(hf, nullptr);
  EXPECT_NE(hf->chat_template().find("<|start_header_id|>"), std::string::npos);
}

TEST_F(Llama3, DirectoryLoadsTokenizerJson) {
  auto tok = load_tokenizer(kLlama3Dir.string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_NE(dynamic_cast<const HfTokenizer*>(tok->get()), nullptr);
}

TEST_F(Llama3, EncodesOneMegabyteOfTextWellUnderASecond) {
#if defined(__SANITIZE_ADDRESS__) || LLAMAFAST_TEST_CLANG_ASAN || !defined(NDEBUG)
  GTEST_SKIP() << "timing is meaningful in optimized builds without sanitizers only";
#endif
  std::string text;
  const auto corpus = read_corpus();
  while (text.size() < (1u << 20))
    for (const std::string& s : corpus) (text += s) += '\n';
  for (auto [name, tok] : both()) {
    // CPU time of this thread, so that other work on the machine does not count.
    timespec t0{}, t1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    const auto ids = tok->encode(text, kPlain);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    const double s = double(t1.tv_sec - t0.tv_sec) + 1e-9 * double(t1.tv_nsec - t0.tv_nsec);
    EXPECT_LT(s, 0.5) << name << ": " << ids.size() << " tokens from " << text.size() << " bytes";
  }
}

// ---------------------------------------------------------------- corrupt files

class Llama3Corrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("llamafast_llama3_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `content` as tokenizer.model and loads it.
  Status load_model(const std::string& content) {
    const fs::path p = dir_ / "tokenizer.model";
    std::ofstream(p, std::ios::binary) << content;
    auto r = load_tokenizer(p.string());
    return r.status();
  }

  // A well-formed rank file of the 256 bytes plus `extra` lines.
  static std::string byte_ranks(const std::string& extra = {}) {
    static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (int b = 0; b < 256; ++b) {
      out += b64[b >> 2];
      out += b64[(b & 3) << 4];
      out += "== " + std::to_string(b) + "\n";
    }
    return out + extra;
  }

  fs::path dir_;
};

void expect_invalid(const Status& st, const std::vector<std::string>& needles) {
  EXPECT_EQ(st.code(), StatusCode::invalid_input) << st.message();
  for (const std::string& n : needles) EXPECT_NE(st.message().find(n), std::string::npos) << st.message();
}

TEST_F(Llama3Corrupt, BadBase64NamesFileAndLine) {
  expect_invalid(load_model(byte_ranks("aGk@ 256\n")), {"tokenizer.model", "line 257", "base64"});
  expect_invalid(load_model(byte_ranks("aGk 256\n")), {"line 257", "base64"});
  expect_invalid(load_model(byte_ranks("aGl= 256\n")), {"line 257", "base64"});  // non-zero trailing bits
}

TEST_F(Llama3Corrupt, DuplicateRankIsRejected) {
  expect_invalid(load_model(byte_ranks("aGk= 255\n")), {"line 257", "duplicate rank 255"});
}

TEST_F(Llama3Corrupt, DuplicatePieceIsRejected) {
  expect_invalid(load_model(byte_ranks("aGk= 256\naGk= 257\n")), {"line 258", "duplicate piece 'hi'"});
}

TEST_F(Llama3Corrupt, NonContiguousRankIsRejected) {
  expect_invalid(load_model(byte_ranks("aGk= 300\n")), {"line 257", "rank 300 skips rank 256"});
}

TEST_F(Llama3Corrupt, MissingFieldIsRejected) {
  expect_invalid(load_model(byte_ranks("aGk=\n")), {"line 257", "expected"});
  expect_invalid(load_model(byte_ranks("aGk= \n")), {"line 257", "expected"});
  expect_invalid(load_model(byte_ranks("aGk= x1\n")), {"line 257", "rank"});
  expect_invalid(load_model(byte_ranks("\naGk= 256\n")), {"line 257", "expected"});
}

TEST_F(Llama3Corrupt, TruncatedFileIsRejected) {
  // Cut inside a line, and a file with too few ranks for Llama 3.
  expect_invalid(load_model(byte_ranks().substr(0, 1000)), {"tokenizer.model", "line"});
  expect_invalid(load_model(byte_ranks()), {"256 ranks", "128000"});
  if (fs::exists(kLlama3Dir / "tokenizer.model")) {
    const std::string real = read_file(kLlama3Dir / "tokenizer.model");
    expect_invalid(load_model(real.substr(0, real.size() / 2)), {"tokenizer.model"});
  }
}

TEST_F(Llama3Corrupt, MissingByteIsRejected) {
  std::string ranks = byte_ranks();
  ranks = ranks.substr(ranks.find('\n') + 1);  // drop byte 0: now ranks start at 1
  expect_invalid(load_model(ranks), {"line 1", "rank 1 skips rank 0"});
}

TEST_F(Llama3Corrupt, SmallTiktokenVocabularyEncodesWithAGivenSpec) {
  // "hi" ranked 256 and "hi!" 257: a pre-token in the vocabulary is one token,
  // others merge by rank.
  TiktokenSpec spec{R"(\p{L}+|\p{N}|[^\p{L}\p{N}]+)", {"<|end|>"}, "", {"<|end|>"}};
  auto tok = TiktokenTokenizer::parse(byte_ranks("aGk= 256\naGkh 257\n"), "test.model", spec);
  EXPECT_EQ(tok->encode("hi", kPlain), std::vector<int>{256});
  EXPECT_EQ(tok->encode("hih", kPlain), (std::vector<int>{256, 'h'}));
  EXPECT_EQ(tok->encode("hi!", kPlain), (std::vector<int>{256, '!'}));  // "!" is its own pre-token
  EXPECT_EQ(tok->encode("x<|end|>", {.add_bos = true, .parse_special = true}), (std::vector<int>{'x', 258}));
  EXPECT_EQ(tok->bos_id(), -1);
  EXPECT_EQ(tok->vocab_size(), 259);
}

}  // namespace
}  // namespace llamafast
