// Hugging Face tokenizer.json reader: small hand-written tokenizers for each
// pipeline feature, corrupt files, and Llama 2's SentencePiece vocabulary written
// as a Metaspace / byte-fallback tokenizer.json (scripts/tokenizer/llama2_hf_tokenizer.py),
// checked against SentencePiece's own ids.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "llamafast/tokenizer.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/pretokenizer.h"

namespace llamafast {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kShared = LLAMAFAST_SHARED_DIR;
const fs::path kSource = LLAMAFAST_SOURCE_DIR;
const fs::path kFixtures = kSource / "tests" / "fixtures" / "tokenizer";
constexpr EncodeOptions kPlain{.add_bos = false, .parse_special = false};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A byte-level BPE tokenizer.json: the 256 byte characters, then `extra` pieces
// (in byte-level spelling) with ids 256, 257, ...
json byte_level_tokenizer(const std::vector<std::string>& extra, const json& merges) {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_level_encode(std::string(1, char(b)))] = b;
  for (size_t i = 0; i < extra.size(); ++i) vocab[extra[i]] = 256 + int(i);
  return json{
      {"version", "1.0"},
      {"added_tokens", json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}, {"ignore_merges", false}}},
  };
}

std::unique_ptr<HfTokenizer> parse(const json& j, const json& config = nullptr) {
  return HfTokenizer::parse(j.dump(), config.is_null() ? std::string() : config.dump(), "", "test.json");
}

TEST(HfTokenizer, MergesWrittenAsStringsOrPairsGiveTheSameIds) {
  const std::vector<std::string> extra = {"he", "ll", "hell", "hello", "\xC4\xA0w", "\xC4\xA0wo"};
  const json strings = {"h e", "l l", "he ll", "hell o", "\xC4\xA0 w", "\xC4\xA0w o"};
  json pairs = json::array();
  for (const auto& m : strings) {
    const std::string s = m.get<std::string>();
    pairs.push_back({s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)});
  }
  auto a = parse(byte_level_tokenizer(extra, strings));
  auto b = parse(byte_level_tokenizer(extra, pairs));
  const std::vector<int> want = {259, 261, 'r', 'l', 'd'};  // hello, " wo", r, l, d
  EXPECT_EQ(a->encode("hello world", kPlain), want);
  EXPECT_EQ(b->encode("hello world", kPlain), want);
}

TEST(HfTokenizer, MergeRankNotPieceIdDecidesTheOrder) {
  // "ab" and "bc" both apply to "abc"; "bc" is ranked first, so "abc" is a+bc.
  auto tok = parse(byte_level_tokenizer({"ab", "bc", "abc"}, {"b c", "a b", "a bc"}));
  EXPECT_EQ(tok->encode("abc", kPlain), std::vector<int>{258});
  auto no_abc = parse(byte_level_tokenizer({"ab", "bc", "abc"}, {"b c", "a b", "ab c"}));
  EXPECT_EQ(no_abc->encode("abc", kPlain), (std::vector<int>{'a', 257}));  // ab+c is never reached
}

TEST(HfTokenizer, IgnoreMergesLooksUpTheWholePreTokenFirst) {
  json j = byte_level_tokenizer({"xyz"}, json::array());
  EXPECT_EQ(parse(j)->encode("xyz", kPlain), (std::vector<int>{'x', 'y', 'z'}));
  j["model"]["ignore_merges"] = true;
  EXPECT_EQ(parse(j)->encode("xyz", kPlain), std::vector<int>{256});
}

TEST(HfTokenizer, ByteLevelRoundTripsArbitraryBytes) {
  auto tok = parse(byte_level_tokenizer({}, json::array()));
  const std::string bytes("\x00\xff\xfe ok \xc3\x28 \xe2\x82\n\r\t", 15);
  const auto ids = tok->encode(bytes, kPlain);
  EXPECT_EQ(ids.size(), bytes.size());
  EXPECT_EQ(tok->decode_all(ids), bytes);
  EXPECT_EQ(tok->piece(' '), "\xC4\xA0");  // stored spelling of the space byte, 'Ġ'
}

TEST(HfTokenizer, ByteLevelAddPrefixSpacePrependsASpace) {
  json j = byte_level_tokenizer({"\xC4\xA0hi"}, {"\xC4\xA0 h", "\xC4\xA0h i"});
  j["model"]["merges"] = json::array();
  j["model"]["ignore_merges"] = true;
  j["pre_tokenizer"]["add_prefix_space"] = true;
  EXPECT_EQ(parse(j)->encode("hi", kPlain), std::vector<int>{256});
}

json with_added(json j, const std::vector<json>& added) {
  for (const json& a : added) {
    j["added_tokens"].push_back(a);
  }
  return j;
}

json added_token(int id, const std::string& content, bool special, bool lstrip = false, bool rstrip = false) {
  return {{"id", id},         {"content", content},  {"single_word", false}, {"lstrip", lstrip},
          {"rstrip", rstrip}, {"normalized", false}, {"special", special}};
}

TEST(HfTokenizer, SpecialAddedTokensAreParsedOnlyWithParseSpecial) {
  auto tok = parse(with_added(byte_level_tokenizer({}, json::array()),
                              {added_token(300, "<|end|>", true), added_token(301, "<tool>", false)}));
  EXPECT_EQ(tok->encode("a<|end|>", {.add_bos = false, .parse_special = true}), (std::vector<int>{'a', 300}));
  EXPECT_EQ(tok->encode("a<|end|>", kPlain).size(), 8u);
  // Non-special added tokens are always matched, as the tokenizers library does.
  EXPECT_EQ(tok->encode("a<tool>b", kPlain), (std::vector<int>{'a', 301, 'b'}));
  EXPECT_TRUE(tok->is_control(300));
  EXPECT_FALSE(tok->is_control(301));
  EXPECT_EQ(tok->decode('a', 300), "<|end|>");
  EXPECT_EQ(tok->vocab_size(), 302);
}

TEST(HfTokenizer, LongestAddedTokenWinsAndStripFlagsSwallowSpaces) {
  auto tok = parse(with_added(
      byte_level_tokenizer({}, json::array()),
      {added_token(300, "<a>", true), added_token(301, "<a><b>", true), added_token(302, "[M]", true, true, true)}));
  const EncodeOptions special{.add_bos = false, .parse_special = true};
  EXPECT_EQ(tok->encode("<a><b><a>", special), (std::vector<int>{301, 300}));
  EXPECT_EQ(tok->encode("x  [M]  y", special), (std::vector<int>{'x', 302, 'y'}));
}

TEST(HfTokenizer, SplitBehaviorsCutTextAsTheTokenizersLibraryDocuments) {
  // "the-final--countdown" split on '-'.
  const std::string text = "the-final--countdown";
  std::vector<Span> matches;
  for (uint32_t i = 0; i < text.size(); ++i)
    if (text[i] == '-') matches.push_back({i, i + 1});
  auto cut = [&](SplitBehavior b, bool invert = false) {
    std::vector<Span> out;
    split_at_matches(text.size(), matches, b, invert, out);
    std::vector<std::string> pieces;
    for (const Span& s : out) pieces.push_back(text.substr(s.begin, s.end - s.begin));
    return pieces;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(cut(SplitBehavior::removed), (V{"the", "final", "countdown"}));
  EXPECT_EQ(cut(SplitBehavior::isolated), (V{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(cut(SplitBehavior::merged_with_previous), (V{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(cut(SplitBehavior::merged_with_next), (V{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(cut(SplitBehavior::contiguous), (V{"the", "-", "final", "--", "countdown"}));
  EXPECT_EQ(cut(SplitBehavior::removed, true), (V{"-", "-", "-"}));
}

TEST(HfTokenizer, RegexWhitespaceIsUnicodeWhiteSpaceAsInRust) {
  const Regex ws(R"(\s+)", "test");
  auto count = [&](const std::string& s) {
    std::vector<Span> m;
    ws.find_all(s, m);
    return m.size();
  };
  EXPECT_EQ(count("a\xC2\x85"
                  "b"),
            1u);  // U+0085 NEXT LINE is White_Space
  EXPECT_EQ(count("a\xE3\x80\x80"
                  "b"),
            1u);  // U+3000 IDEOGRAPHIC SPACE
  EXPECT_EQ(count("a\xE1\xA0\x8E"
                  "b"),
            0u);  // U+180E is not (PCRE2's \s says it is)
  EXPECT_EQ(count("a\xEF\xBB\xBF"
                  "b"),
            0u);  // U+FEFF is not (JavaScript's \s says it is)
  EXPECT_EQ(rust_regex_to_pcre2(R"([^\s\p{L}]\S)").find("\\s"), std::string::npos);
}

// A SentencePiece-style vocabulary: "▁" words, byte fallback, Strip decoder.
json metaspace_tokenizer(bool byte_fallback) {
  json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  if (byte_fallback)
    for (int b = 0; b < 256; ++b) vocab[fmt::format("<0x{:02X}>", b)] = 3 + b;
  const std::vector<std::string> pieces = {"\xE2\x96\x81", "h", "i", "\xE2\x96\x81h", "\xE2\x96\x81hi", "!"};
  for (size_t i = 0; i < pieces.size(); ++i) vocab[pieces[i]] = 300 + int(i);
  return json{
      {"added_tokens", {added_token(0, "<unk>", true), added_token(1, "<s>", true), added_token(2, "</s>", true)}},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         {{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
          {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}}}}}},
      {"pre_tokenizer", nullptr},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
          {{"type", "ByteFallback"}},
          {{"type", "Fuse"}},
          {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
      {"model",
       {{"type", "BPE"},
        {"vocab", vocab},
        {"merges", {"\xE2\x96\x81 h", "\xE2\x96\x81h i"}},
        {"byte_fallback", byte_fallback},
        {"fuse_unk", true},
        {"unk_token", "<unk>"}}},
  };
}

TEST(HfTokenizer, MetaspaceNormalizerAndByteFallbackEncodeLikeSentencePiece) {
  auto tok = parse(metaspace_tokenizer(true), json{{"bos_token", "<s>"}, {"eos_token", {{"content", "</s>"}}}});
  EXPECT_EQ(tok->encode("hi hi!"), (std::vector<int>{1, 304, 304, 305}));
  EXPECT_EQ(tok->encode("hi\xC3\xA9", kPlain), (std::vector<int>{304, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(tok->decode_all(tok->encode("hi\xC3\xA9 hi", kPlain)), "hi\xC3\xA9 hi");
  // The dummy-prefix space is dropped at the start and after BOS only.
  EXPECT_EQ(tok->decode(-1, 304), "hi");
  EXPECT_EQ(tok->decode(1, 304), "hi");
  EXPECT_EQ(tok->decode(304, 304), " hi");
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_ids(), std::vector<int>{2});
}

TEST(HfTokenizer, WithoutByteFallbackUnknownCharactersFuseIntoOneUnk) {
  auto tok = parse(metaspace_tokenizer(false));
  EXPECT_EQ(tok->encode("hi\xC3\xA9\xC3\xA9", kPlain), (std::vector<int>{304, 0}));
}

TEST(HfTokenizer, MetaspacePreTokenizerSplitsOnTheReplacement) {
  json j = metaspace_tokenizer(true);
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {
      {"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}, {"split", true}};
  auto tok = parse(j);
  EXPECT_EQ(tok->encode("hi hi", kPlain), (std::vector<int>{304, 304}));
  // "first": no prefix after an added token.
  EXPECT_EQ(tok->encode("<s>hi", {.add_bos = false, .parse_special = true}), (std::vector<int>{1, 301, 302}));
}

TEST(HfTokenizer, TokenizerConfigSetsBosEosAddBosAndChatTemplate) {
  const json config = {
      {"add_bos_token", false},
      {"bos_token", {{"content", "<s>"}, {"__type", "AddedToken"}}},
      {"eos_token", "</s>"},
      {"chat_template", {{{"name", "tool_use"}, {"template", "T"}}, {{"name", "default"}, {"template", "D"}}}}};
  auto tok = parse(metaspace_tokenizer(true), config);
  EXPECT_EQ(tok->encode("hi"), std::vector<int>{304});  // add_bos_token: false wins
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->chat_template(), "D");
  auto gen = HfTokenizer::parse(metaspace_tokenizer(true).dump(), R"({"chat_template": "{{ x }}"})",
                                R"({"eos_token_id": [2, 305]})", "t.json");
  EXPECT_EQ(gen->eos_ids(), (std::vector<int>{2, 305}));
  EXPECT_EQ(gen->chat_template(), "{{ x }}");
}

// ---------------------------------------------------------------- corrupt files

class HfCorrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("llamafast_hf_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Status load(const std::string& content) {
    const fs::path p = dir_ / "tokenizer.json";
    std::ofstream(p, std::ios::binary) << content;
    return load_tokenizer(p.string()).status();
  }
  void expect_invalid(const std::string& content, const std::string& needle) {
    const Status st = load(content);
    EXPECT_EQ(st.code(), StatusCode::invalid_input) << st.message();
    EXPECT_NE(st.message().find("tokenizer.json"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
  }

  fs::path dir_;
};

TEST_F(HfCorrupt, InvalidJsonIsRejected) {
  expect_invalid("{\"model\": ", "parse error");
  expect_invalid("{]", "parse error");
  expect_invalid("{}", "has no \"model\"");
}

TEST_F(HfCorrupt, MissingMergesIsRejected) {
  json j = byte_level_tokenizer({}, json::array());
  j["model"].erase("merges");
  expect_invalid(j.dump(), "has no \"merges\"");
}

TEST_F(HfCorrupt, MergeOfUnknownPiecesIsRejected) {
  expect_invalid(byte_level_tokenizer({"ab"}, {"a q"}).dump(), "merge 0: 'aq' is not in the vocabulary");
  expect_invalid(byte_level_tokenizer({"ab"}, {"a b", "zz z"}).dump(), "merge 1: 'zz' is not in the vocabulary");
  expect_invalid(byte_level_tokenizer({"ab"}, {"a b c"}).dump(), "merge 0 'a b c' is not two pieces");
  expect_invalid(byte_level_tokenizer({"ab"}, {{"a", "b", "c"}}).dump(), "merge 0 is neither");
  expect_invalid(byte_level_tokenizer({"ab"}, {7}).dump(), "merge 0 is neither");
}

TEST_F(HfCorrupt, BadIdsAreRejected) {
  json j = byte_level_tokenizer({"ab"}, json::array());
  j["model"]["vocab"]["ab"] = 5;
  expect_invalid(j.dump(), "vocabulary id 5 is used by both");
  j["model"]["vocab"]["ab"] = -3;
  expect_invalid(j.dump(), "invalid id -3");
  j["model"]["vocab"]["ab"] = "x";
  expect_invalid(j.dump(), "invalid id \"x\"");
  j["model"]["vocab"]["ab"] = json::array({256});
  expect_invalid(j.dump(), "vocabulary entry 'ab' has an invalid id (not a number)");
  j["model"]["vocab"]["ab"] = 1u << 30;
  expect_invalid(j.dump(), "invalid id");
}

TEST_F(HfCorrupt, UnsupportedComponentsAreNamed) {
  json j = byte_level_tokenizer({}, json::array());
  j["model"]["type"] = "WordPiece";
  expect_invalid(j.dump(), "unsupported model type \"WordPiece\"");
  j = byte_level_tokenizer({}, json::array());
  j["normalizer"] = {{"type", "NFKC"}};
  expect_invalid(j.dump(), "unsupported normalizer type \"NFKC\"");
  j = byte_level_tokenizer({}, json::array());
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  expect_invalid(j.dump(), "invalid regex");
}

TEST_F(HfCorrupt, TruncatedRealFileIsRejected) {
  const fs::path real = kShared / "tokenizers" / "llama3" / "tokenizer.json";
  if (!fs::exists(real)) GTEST_SKIP() << "shared Llama 3 tokenizer.json not found in " << real.parent_path();
  const std::string text = read_file(real);
  for (size_t cut : {size_t(1), text.size() / 3, text.size() / 2, text.size() - 2})
    expect_invalid(text.substr(0, cut), "parse error");
}

// ---------------------------------------------------------------- Llama 2 as tokenizer.json

// Builds tokenizer.json for Llama 2 from its SentencePiece model with the repo's
// Python script; empty when python3 with sentencepiece is unavailable.
fs::path build_llama2_json() {
  static fs::path built;
  static bool tried = false;
  if (tried) return built;
  tried = true;
  const fs::path model = kShared / "tokenizers" / "llama2" / "tokenizer.model";
  if (!fs::exists(model)) return built;
  const fs::path out = fs::temp_directory_path() / ("llamafast_llama2_hf_" + std::to_string(::getpid()));
  const fs::path script = kSource / "scripts" / "tokenizer" / "llama2_hf_tokenizer.py";
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    const std::string cmd = fmt::format("{} '{}' --model '{}' --out '{}' > /dev/null 2>&1", python, script.string(),
                                        model.string(), out.string());
    if (std::system(cmd.c_str()) == 0 && fs::exists(out / "tokenizer.json")) return built = out;
  }
  return built;
}

class Llama2Json : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path dir = build_llama2_json();
    if (dir.empty()) return;
    auto tok = load_tokenizer((dir / "tokenizer.json").string());
    ASSERT_TRUE(tok.ok()) << tok.status().message();
    tok_ = std::move(tok).value().release();
    fs::remove_all(dir);
  }
  static void TearDownTestSuite() {
    delete tok_;
    tok_ = nullptr;
  }
  void SetUp() override {
    if (!tok_)
      GTEST_SKIP() << "needs ../shared/tokenizers/llama2/tokenizer.model and python3 with sentencepiece "
                      "(Debian python3-sentencepiece) to build Llama 2's tokenizer.json";
  }
  static inline Tokenizer* tok_ = nullptr;
};

TEST_F(Llama2Json, MatchesSentencePieceOnTheCorpus) {
  std::ifstream corpus(kFixtures / "corpus.jsonl"), expected(kFixtures / "llama2_spm_expected.jsonl");
  size_t lines = 0, mismatches = 0;
  for (std::string c, e; std::getline(corpus, c) && std::getline(expected, e); ++lines) {
    const std::string text = json::parse(c).get<std::string>();
    if (tok_->encode(text, kPlain) == json::parse(e).get<std::vector<int>>()) continue;
    if (++mismatches <= 5) ADD_FAILURE() << "corpus line " << lines + 1 << " differs: " << text;
  }
  EXPECT_GE(lines, 2000u);
  EXPECT_EQ(mismatches, 0u);
}

TEST_F(Llama2Json, MatchesLlamaCppSpmVectors) {
  const fs::path dir = kShared / "testdata" / "tokenizer";
  if (!fs::exists(dir / "llama-spm.inp")) GTEST_SKIP() << "llama-spm vectors absent in " << dir;
  const std::string inp = read_file(dir / "llama-spm.inp");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::ifstream out(dir / "llama-spm.out");
  size_t pos = 0, n = 0;
  for (std::string line; std::getline(out, line) && pos < inp.size(); ++n) {
    const size_t hit = inp.find(sep, pos);
    const std::string text = inp.substr(pos, hit - pos);
    pos = hit == std::string::npos ? inp.size() : hit + sep.size();
    std::vector<int> ids;
    std::istringstream ss(line);
    for (int id; ss >> id;) ids.push_back(id);
    EXPECT_EQ(tok_->encode(text, kPlain), ids) << "'" << text << "'";
  }
  EXPECT_GE(n, 40u);
}

TEST_F(Llama2Json, DecodeOfEncodeReturnsTheTextAndBosComesFromTheConfig) {
  std::ifstream corpus(kFixtures / "corpus.jsonl");
  for (std::string c; std::getline(corpus, c);) {
    const std::string text = json::parse(c).get<std::string>();
    if (text.find("\xE2\x96\x81") != std::string::npos) continue;  // '▁' in the input reads back as ' '
    ASSERT_EQ(tok_->decode_all(tok_->encode(text, kPlain)), text);
  }
  EXPECT_EQ(tok_->encode("Hello"), (std::vector<int>{1, 15043}));
  EXPECT_EQ(tok_->eos_ids(), std::vector<int>{2});
  EXPECT_EQ(tok_->vocab_size(), 32000);
}

}  // namespace
}  // namespace llamafast
