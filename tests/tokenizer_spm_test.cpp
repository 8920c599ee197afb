// SentencePiece tokenizer.model: ids identical to the SentencePiece library
// (golden files written by scripts/tokenizer/gen_spm_expected.py and
// gen_spm_synthetic.py with python3-sentencepiece), llama.cpp's vocab test
// vectors, the llama2.c tokenizer.bin next to it, and corrupt files.
#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "common/error.h"
#include "llamafast/tokenizer.h"
#include "test_support.h"
#include "tokenizer/llama2c_tokenizer.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/sentencepiece_tokenizer.h"

namespace llamafast {
namespace {

namespace fs = std::filesystem;
using test::shared_dir;

const fs::path kTokenizerFixtures = test::fixtures_dir() / "tokenizer";
const fs::path kSyntheticDir = kTokenizerFixtures / "spm";
const char* const kLlama2Model = "tokenizers/llama2/tokenizer.model";
const char* const kLlama2Bin = "tokenizers/llama2/tokenizer.bin";

// ------------------------------------------------------------------ helpers

std::vector<std::string> read_lines(const fs::path& p) {
  const std::vector<char> bytes = test::read_file(p);
  std::vector<std::string> lines;
  std::string_view rest(bytes.data(), bytes.size());
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    lines.emplace_back(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
  return lines;
}

// corpus.jsonl: one JSON string per line.
const std::vector<std::string>& corpus() {
  static const std::vector<std::string> c = [] {
    std::vector<std::string> out;
    for (const std::string& line : read_lines(kTokenizerFixtures / "corpus.jsonl"))
      out.push_back(nlohmann::json::parse(line).get<std::string>());
    return out;
  }();
  return c;
}

// One JSON array of ids per line.
std::vector<std::vector<int>> read_id_lines(const fs::path& p) {
  std::vector<std::vector<int>> out;
  for (const std::string& line : read_lines(p)) out.push_back(nlohmann::json::parse(line).get<std::vector<int>>());
  return out;
}

// Printable form of a test string for failure messages.
std::string show(std::string_view s) {
  std::string out = nlohmann::json(std::string(s)).dump();
  if (out.size() > 160) out = out.substr(0, 160) + fmt::format("...({} bytes)", s.size());
  return out;
}

std::string join(const std::vector<int>& ids) { return fmt::format("{}", fmt::join(ids, " ")); }

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

const EncodeOptions kNoBos{.add_bos = false};

// FNV-1a over the ids as little-endian int32 (gen_spm_expected.py's digest of long texts).
std::string fnv1a64(const std::vector<int>& ids) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int id : ids)
    for (int b = 0; b < 4; ++b) h = (h ^ ((uint32_t(id) >> (8 * b)) & 0xff)) * 0x100000001b3ull;
  return fmt::format("{:016x}", h);
}

std::string join_corpus(const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < corpus().size(); ++i) out += (i ? separator : "") + corpus()[i];
  return out;
}

// Checks the digests in `path` ({"separator", "count", "fnv1a64"}, and "model"
// when `model` is given) for the whole corpus joined into one long text.
void expect_long_texts_match(const Tokenizer& tok, const fs::path& path, const std::string& model = "") {
  int checked = 0;
  for (const std::string& line : read_lines(path)) {
    const auto j = nlohmann::json::parse(line);
    if (!model.empty() && j["model"] != model) continue;
    const std::string separator = j["separator"];
    const auto ids = tok.encode(join_corpus(separator), kNoBos);
    EXPECT_EQ(ids.size(), j["count"].get<size_t>()) << model << " separator " << show(separator);
    EXPECT_EQ(fnv1a64(ids), j["fnv1a64"].get<std::string>()) << model << " separator " << show(separator);
    ++checked;
  }
  EXPECT_EQ(checked, 4) << model;
}

const SentencePieceTokenizer& llama2_spm() {
  static const auto tok = SentencePieceTokenizer::load((shared_dir() / kLlama2Model).string());
  return *tok;
}

std::unique_ptr<SentencePieceTokenizer> load_synthetic(const std::string& name) {
  return SentencePieceTokenizer::load((kSyntheticDir / (name + ".model")).string());
}

// Parses a model from memory the way load_tokenizer reports it: a Status.
Status load_status(std::string_view bytes, std::unique_ptr<SentencePieceTokenizer>* out = nullptr) {
  return catch_status([&] {
    auto tok = SentencePieceTokenizer::from_bytes(std::as_bytes(std::span(bytes.data(), bytes.size())), "mem.model");
    if (out) *out = std::move(tok);
  });
}

// Protobuf wire-format builders for hand-made models.
std::string varint(uint64_t v) {
  std::string out;
  do {
    out += char((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
  } while (v);
  return out;
}
std::string field_varint(int field, uint64_t v) { return varint(uint64_t(field) << 3) + varint(v); }
std::string field_bytes(int field, std::string_view s) {
  return varint(uint64_t(field) << 3 | 2) + varint(s.size()) + std::string(s);
}
std::string field_float(int field, float f) {
  std::string out = varint(uint64_t(field) << 3 | 5);
  out.append(reinterpret_cast<const char*>(&f), 4);
  return out;
}
std::string piece(std::string_view text, float score, int type = 1) {
  return field_bytes(1, field_bytes(1, text) + field_float(2, score) + field_varint(3, uint64_t(type)));
}
// A minimal valid BPE model: <unk> <s> </s>, "▁", "a", "b", "▁a", "ab".
std::string tiny_model(std::string extra_pieces = "", std::string extra_trainer = "") {
  return piece("<unk>", 0, 2) + piece("<s>", 0, 3) + piece("</s>", 0, 3) + piece("\xE2\x96\x81", -1) +
         piece("a", -2) + piece("b", -3) + piece("\xE2\x96\x81" "a", -0.5f) + piece("ab", -0.25f) + extra_pieces +
         field_bytes(2, field_varint(3, 2) + extra_trainer) + field_bytes(3, field_bytes(1, "identity"));
}

// ------------------------------------------------------------------ Llama 2: the SentencePiece library's ids

TEST(SpmLlama2, EncodesEveryCorpusStringExactlyLikeTheSentencePieceLibrary) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  const auto expected = read_id_lines(kTokenizerFixtures / "llama2_spm_expected.jsonl");
  ASSERT_EQ(expected.size(), corpus().size());
  ASSERT_GE(corpus().size(), 2000u);
  int mismatches = 0;
  for (size_t i = 0; i < corpus().size(); ++i) {
    const auto got = llama2_spm().encode(corpus()[i], kNoBos);
    if (got != expected[i] && ++mismatches <= 10)
      ADD_FAILURE() << "line " << i << " " << show(corpus()[i]) << "\n  want " << join(expected[i]) << "\n  got  "
                    << join(got);
  }
  EXPECT_EQ(mismatches, 0) << "of " << corpus().size();
}

// ~200 KB in one call: long enough that the encoder merges it in segments.
TEST(SpmLlama2, EncodesTheWholeCorpusAsOneLongTextLikeTheSentencePieceLibrary) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  expect_long_texts_match(llama2_spm(), kTokenizerFixtures / "llama2_spm_long_expected.jsonl");
}

TEST(SpmLlama2, DecodeOfEncodeGivesBackEveryCorpusString) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  int mismatches = 0;
  for (size_t i = 0; i < corpus().size(); ++i) {
    // SentencePiece escapes spaces as U+2581, so a literal U+2581 in the input comes back as a space.
    const std::string want = replace_all(corpus()[i], "\xE2\x96\x81", " ");
    for (bool bos : {false, true}) {
      const std::string got = llama2_spm().decode_all(llama2_spm().encode(corpus()[i], {.add_bos = bos}));
      if (got != want && ++mismatches <= 10)
        ADD_FAILURE() << "line " << i << (bos ? " with BOS" : "") << "\n  want " << show(want) << "\n  got  "
                      << show(got);
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(SpmLlama2, MatchesLlamaCppVocabTestVectors) {
  LLAMAFAST_REQUIRE_SHARED("testdata/tokenizer/llama-spm.inp");
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  // Each input is followed by "\n__ggml_vocab_test__\n" (so an input's own
  // trailing newlines are part of it); one line of ids per input.
  const std::vector<char> raw = test::read_file(shared_dir() / "testdata/tokenizer/llama-spm.inp");
  const std::string_view separator = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  for (std::string_view rest(raw.data(), raw.size()); !rest.empty();) {
    const size_t end = rest.find(separator);
    ASSERT_NE(end, std::string_view::npos) << "input without a separator after it";
    inputs.emplace_back(rest.substr(0, end));
    rest.remove_prefix(end + separator.size());
  }
  std::vector<std::string> outputs = read_lines(shared_dir() / "testdata/tokenizer/llama-spm.out");
  ASSERT_EQ(inputs.size(), outputs.size());
  ASSERT_GE(inputs.size(), 40u);
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<int> want;
    std::istringstream in(outputs[i]);
    for (int id; in >> id;) want.push_back(id);
    EXPECT_EQ(join(llama2_spm().encode(inputs[i], kNoBos)), join(want)) << "input " << i << " " << show(inputs[i]);
  }
}

TEST(SpmLlama2, TurnsEachInvalidUtf8ByteIntoAReplacementCharacterLikeSentencePiece) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  int cases = 0;
  for (const std::string& line : read_lines(kTokenizerFixtures / "llama2_spm_bytes_expected.jsonl")) {
    const auto j = nlohmann::json::parse(line);
    const std::string hex = j["hex"];
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes += char(std::stoi(hex.substr(i, 2), nullptr, 16));
    EXPECT_EQ(join(llama2_spm().encode(bytes, kNoBos)), join(j["ids"].get<std::vector<int>>())) << "bytes " << hex;
    ++cases;
  }
  EXPECT_GE(cases, 30);
}

TEST(SpmLlama2, LoadTokenizerDetectsTheProtobufFileAndDirectories) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  auto tok = load_tokenizer((shared_dir() / kLlama2Model).string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_NE(dynamic_cast<SentencePieceTokenizer*>(tok->get()), nullptr);
  EXPECT_EQ((*tok)->encode("Hello world"), (std::vector<int>{1, 15043, 3186}));

  test::TempDir dir;  // a model directory with only tokenizer.model in it
  fs::create_symlink(shared_dir() / kLlama2Model, dir / "tokenizer.model");
  auto from_dir = load_tokenizer(dir.path().string());
  ASSERT_TRUE(from_dir.ok()) << from_dir.status().message();
  EXPECT_EQ((*from_dir)->encode("Hello world"), (std::vector<int>{1, 15043, 3186}));
}

TEST(SpmModelFile, DetectionTellsProtobufModelsFromOtherTokenizerFormats) {
  EXPECT_TRUE(looks_like_sentencepiece_model((kSyntheticDir / "suffix_bpe.model").string()));
  EXPECT_TRUE(looks_like_sentencepiece_model((kSyntheticDir / "unigram.model").string()));
  EXPECT_FALSE(looks_like_sentencepiece_model((kTokenizerFixtures / "corpus.jsonl").string()));
  EXPECT_FALSE(looks_like_sentencepiece_model("/nonexistent/tokenizer.model"));
  // llama2.c's tokenizer.bin starts with int32 max_token_length: even 10 (0x0A) is not taken for protobuf.
  EXPECT_FALSE(looks_like_sentencepiece_model(std::as_bytes(std::span("\x0a\0\0\0\0\0\0\0", 8))));
  for (const char* other : {"models/aidreams260K/tok512.bin", kLlama2Bin, "tokenizers/llama3/tokenizer.model",
                            "tokenizers/llama3/tokenizer.json"}) {
    if (fs::exists(shared_dir() / other)) {
      EXPECT_FALSE(looks_like_sentencepiece_model((shared_dir() / other).string())) << other;
    }
  }
  if (fs::exists(shared_dir() / kLlama2Model)) {
    EXPECT_TRUE(looks_like_sentencepiece_model((shared_dir() / kLlama2Model).string()));
  }
}

TEST(SpmLlama2, ReportsVocabularyAndSpecialTokens) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  const auto& tok = llama2_spm();
  EXPECT_EQ(tok.vocab_size(), 32000);
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_ids(), std::vector<int>{2});
  EXPECT_EQ(tok.unk_id(), 0);
  EXPECT_TRUE(tok.is_control(1));
  EXPECT_TRUE(tok.is_control(2));
  EXPECT_FALSE(tok.is_control(0));
  EXPECT_FALSE(tok.is_control(15043));
  EXPECT_EQ(tok.piece(1), "<s>");
  EXPECT_EQ(tok.piece(13), "<0x0A>");
  EXPECT_EQ(tok.piece(15043), "\xE2\x96\x81Hello");
  EXPECT_EQ(tok.piece(-1), "");
  EXPECT_EQ(tok.piece(32000), "");
}

TEST(SpmLlama2, AddsBosOnlyWhenAskedAndEmptyTextHasNoOtherTokens) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  EXPECT_EQ(llama2_spm().encode("Hello"), (std::vector<int>{1, 15043}));
  EXPECT_EQ(llama2_spm().encode("Hello", kNoBos), (std::vector<int>{15043}));
  EXPECT_EQ(llama2_spm().encode(""), (std::vector<int>{1}));
  EXPECT_EQ(llama2_spm().encode("", kNoBos), (std::vector<int>{}));
}

TEST(SpmLlama2, ParseSpecialMapsControlTextToItsIdAndOtherwiseKeepsItAsText) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  const auto& tok = llama2_spm();
  // As the library does: "<s>" is plain text.
  EXPECT_EQ(tok.encode("<s>hi</s>", kNoBos), (std::vector<int>{529, 29879, 29958, 2918, 829, 29879, 29958}));
  // Each stretch of text after a control token gets its own dummy prefix, as if encoded separately.
  const EncodeOptions special{.add_bos = false, .parse_special = true};
  EXPECT_EQ(tok.encode("<s>hi</s>", special), (std::vector<int>{1, 7251, 2}));
  EXPECT_EQ(tok.encode("Hello</s><s>world", special), (std::vector<int>{15043, 2, 1, 3186}));
  EXPECT_EQ(tok.encode("</s></s>", special), (std::vector<int>{2, 2}));
  EXPECT_EQ(tok.encode("no specials here", special), tok.encode("no specials here", kNoBos));
  EXPECT_EQ(tok.decode_all(tok.encode("<s>hi</s>", special)), "hi");
}

TEST(SpmLlama2, DecodeDropsTheDummyPrefixOnlyAtTheStartAndAfterControlTokens) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  const auto& tok = llama2_spm();
  EXPECT_EQ(tok.decode(-1, 15043), "Hello");  // "▁Hello" at the start
  EXPECT_EQ(tok.decode(1, 15043), "Hello");   // after BOS
  EXPECT_EQ(tok.decode(2, 15043), "Hello");   // after another control token
  EXPECT_EQ(tok.decode(3186, 15043), " Hello");
  EXPECT_EQ(tok.decode(0, 15043), " Hello");  // after <unk>, as SentencePiece decodes " ⁇  Hello"
  EXPECT_EQ(tok.decode(-1, 259), " ");        // "▁▁": only the first "▁" is the prefix
  EXPECT_EQ(tok.decode_all({1, 15043, 29892, 3186, 29991, 2}), "Hello, world!");
}

TEST(SpmLlama2, DecodesBytePiecesToRawBytesControlToNothingAndUnknownToItsSurface) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  const auto& tok = llama2_spm();
  EXPECT_EQ(tok.decode(-1, 13), "\n");
  EXPECT_EQ(tok.decode(15043, 3), std::string(1, '\0'));
  EXPECT_EQ(tok.decode(15043, 258), "\xff");  // <0xFF>: one raw byte, not a character
  EXPECT_EQ(tok.decode_all({243, 162, 169, 156}), "\xF0\x9F\xA6\x99");  // a llama emoji spelled in bytes
  EXPECT_EQ(tok.decode(-1, 1), "");
  EXPECT_EQ(tok.decode(15043, 2), "");
  EXPECT_EQ(tok.decode(15043, 0), " \xE2\x81\x87 ");
  EXPECT_EQ(tok.decode(15043, -1), "");
  EXPECT_EQ(tok.decode(15043, 32000), "");
}

// ------------------------------------------------------------------ small models for the other options

class SpmSyntheticModel : public ::testing::TestWithParam<std::string> {};

TEST_P(SpmSyntheticModel, EncodesAndDecodesLikeTheSentencePieceLibrary) {
  const std::string name = GetParam();
  const auto tok = load_synthetic(name);
  int checked = 0, mismatches = 0, decode_mismatches = 0;
  for (const std::string& line : read_lines(kSyntheticDir / "expected.jsonl")) {
    const auto j = nlohmann::json::parse(line);
    if (j["model"] != name) continue;
    const size_t index = j["line"];
    ASSERT_LT(index, corpus().size());
    const std::string& text = corpus()[index];
    const auto want = j["ids"].get<std::vector<int>>();
    const auto got = tok->encode(text, kNoBos);
    ++checked;
    if (got != want && ++mismatches <= 5)
      ADD_FAILURE() << name << " line " << index << " " << show(text) << "\n  want " << join(want) << "\n  got  "
                    << join(got);
    const std::string want_text = j.contains("decoded") ? j["decoded"].get<std::string>() : text;
    const std::string got_text = tok->decode_all(want);
    if (got_text != want_text && ++decode_mismatches <= 5)
      ADD_FAILURE() << name << " line " << index << " decode\n  want " << show(want_text) << "\n  got  "
                    << show(got_text);
  }
  EXPECT_GT(checked, 250);
  EXPECT_EQ(mismatches, 0) << "of " << checked;
  EXPECT_EQ(decode_mismatches, 0) << "of " << checked;
}

TEST_P(SpmSyntheticModel, EncodesTheWholeCorpusAsOneLongTextLikeTheSentencePieceLibrary) {
  expect_long_texts_match(*load_synthetic(GetParam()), kSyntheticDir / "long_expected.jsonl", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SpmSyntheticModel,
                         ::testing::Values("nfkc_bpe", "identity_nobyte", "suffix_bpe", "unused_bpe"),
                         [](const auto& info) { return info.param; });

TEST(SpmSynthetic, NfkcCharsmapNormalizesCompatibilityCharactersAndWhitespace) {
  const auto tok = load_synthetic("nfkc_bpe");
  EXPECT_EQ(tok->encode("\xEF\xBD\x88\xEF\xBD\x85\xEF\xBD\x8C\xEF\xBD\x8C\xEF\xBD\x8F", kNoBos),
            tok->encode("hello", kNoBos));                                       // fullwidth "ｈｅｌｌｏ"
  EXPECT_EQ(tok->encode("  the\t\tlicense  ", kNoBos), tok->encode("the license", kNoBos));  // squeezed
  EXPECT_EQ(tok->encode(" \t \n", kNoBos), std::vector<int>{});  // only whitespace: nothing
}

TEST(SpmSynthetic, UserDefinedSymbolsAreMatchedWholeAndNeverMerged) {
  const auto tok = load_synthetic("nfkc_bpe");
  const auto ids = tok->encode("x<|user|>ab[MASK]", kNoBos);
  std::vector<std::string> pieces;
  for (int id : ids) pieces.push_back(tok->piece(id));
  EXPECT_NE(std::find(pieces.begin(), pieces.end(), "<|user|>"), pieces.end()) << fmt::format("{}", fmt::join(pieces, "|"));
  EXPECT_NE(std::find(pieces.begin(), pieces.end(), "ab"), pieces.end());
  EXPECT_NE(std::find(pieces.begin(), pieces.end(), "[MASK]"), pieces.end());
  EXPECT_EQ(tok->piece_type(ids[1]), PieceType::user_defined);
  // The control symbol is text unless special tokens are parsed.
  const int ctrl = tok->encode("<ctrl>", {.add_bos = false, .parse_special = true}).at(0);
  EXPECT_TRUE(tok->is_control(ctrl));
  EXPECT_NE(tok->encode("<ctrl>", kNoBos).at(0), ctrl);
}

TEST(SpmSynthetic, WithoutByteFallbackARunOfUnknownCharactersIsOneUnknownToken) {
  const auto tok = load_synthetic("identity_nobyte");
  const auto ids = tok->encode("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", kNoBos);  // three CJK characters
  EXPECT_EQ(ids, std::vector<int>{tok->unk_id()});
  EXPECT_EQ(tok->decode(-1, tok->unk_id()), " \xE2\x81\x87 ");
}

TEST(SpmSynthetic, UnigramModelIsRefusedWithAClearError) {
  const fs::path path = kSyntheticDir / "unigram.model";
  auto tok = load_tokenizer(path.string());
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::invalid_input);
  EXPECT_NE(tok.status().message().find(path.string()), std::string::npos) << tok.status().message();
  EXPECT_NE(tok.status().message().find("unigram"), std::string::npos) << tok.status().message();
}

// ------------------------------------------------------------------ hand-made and corrupt models

TEST(SpmModelFile, HandMadeMinimalModelEncodes) {
  std::unique_ptr<SentencePieceTokenizer> tok;
  ASSERT_TRUE(load_status(tiny_model(), &tok).ok());
  // "▁ab": candidates "▁a" (-0.5) and "ab" (-0.25): "ab" wins, then "▁"+"ab" is no piece.
  EXPECT_EQ(tok->encode("ab", kNoBos), (std::vector<int>{3, 7}));
  EXPECT_EQ(tok->encode("a", kNoBos), (std::vector<int>{6}));
  EXPECT_EQ(tok->encode("c", kNoBos), (std::vector<int>{3, 0}));  // no byte fallback: <unk>
}

TEST(SpmModelFile, CorruptOrInconsistentModelsAreInvalidInputNamingTheFile) {
  const std::string unk = piece("<unk>", 0, 2);
  const struct {
    const char* what;
    std::string bytes;
    const char* message;
  } cases[] = {
      {"empty file", "", "no pieces"},
      {"unterminated varint", "\x0a" + std::string(11, '\xff'), "varint"},
      {"varint past 64 bits", "\x20" + std::string(9, '\xff') + "\x7f", "64 bits"},
      {"truncated varint", "\x0a\x85", "truncated"},
      {"length past the end", "\x0a\xff\xff\xff\xff\x0f" "abc", "runs past the end"},
      {"piece as a varint", field_varint(1, 5), "wire type varint, expected length-delimited"},
      {"score as a varint", field_bytes(1, field_bytes(1, "a") + field_varint(2, 1)), "expected fixed32"},
      {"field number 0", std::string("\x02\x00", 2), "invalid field number"},
      {"group wire type", "\x0b", "wire type 3"},
      {"unknown piece type", field_bytes(1, field_bytes(1, "a") + field_varint(3, 9)), "piece type 9"},
      {"type out of int32", field_bytes(1, field_bytes(1, "a") + field_varint(3, uint64_t(1) << 40)), "int32"},
      {"truncated float", field_bytes(1, field_bytes(1, "a") + std::string("\x15\x00\x00", 3)), "needs 4 bytes"},
      {"no unknown piece", piece("a", 0) + field_bytes(2, field_varint(3, 2)), "no unknown piece"},
      {"two unknown pieces", unk + piece("<unk2>", 0, 2) + field_bytes(2, field_varint(3, 2)), "two unknown"},
      {"duplicate piece", tiny_model(piece("a", -9)), "defined twice"},
      {"empty piece", tiny_model(piece("", -9)), "is empty"},
      {"byte piece without byte_fallback", tiny_model(piece("<0x41>", 0, 6)), "without byte_fallback"},
      {"malformed byte piece", tiny_model(piece("<0xZZ>", 0, 6), field_varint(35, 1)), "not <0xNN>"},
      {"unigram model", unk + field_bytes(2, field_varint(3, 1)), "unigram"},
      {"model type out of range", unk + field_bytes(2, field_varint(3, 7)), "model_type 7"},
      {"charsmap shorter than its header",
       tiny_model() + field_bytes(3, field_bytes(2, "ab")), "precompiled_charsmap"},
      {"charsmap trie larger than the blob",
       tiny_model() + field_bytes(3, field_bytes(2, std::string("\x00\x01\x00\x00" "abcd", 8))), "trie size"},
      {"denormalizer rules", tiny_model() + field_bytes(5, field_bytes(2, std::string(8, '\0'))), "denormalization"},
  };
  for (const auto& c : cases) {
    const Status st = load_status(c.bytes);
    EXPECT_EQ(st.code(), StatusCode::invalid_input) << c.what << ": " << st.message();
    EXPECT_NE(st.message().find("mem.model"), std::string::npos) << c.what << ": " << st.message();
    EXPECT_NE(st.message().find(c.message), std::string::npos) << c.what << ": " << st.message();
  }
}

TEST(SpmModelFile, EveryTruncationFailsCleanlyOrLoadsAWorkingTokenizer) {
  const std::vector<char> model = test::read_file(kSyntheticDir / "suffix_bpe.model");
  ASSERT_GT(model.size(), 1000u);
  int failed = 0;
  for (size_t n = 0; n < model.size(); ++n) {
    std::unique_ptr<SentencePieceTokenizer> tok;
    const Status st = load_status(std::string_view(model.data(), n), &tok);
    if (!st.ok()) {
      ++failed;
      ASSERT_EQ(st.code(), StatusCode::invalid_input) << "cut at " << n << ": " << st.message();
    } else {
      tok->encode("the license \xF0\x9F\xA6\x99", kNoBos);  // must not crash
    }
  }
  EXPECT_GT(failed, int(model.size()) / 2);
}

TEST(SpmModelFile, RandomlyCorruptedModelsNeverCrash) {
  std::mt19937 rng(1234);
  for (const char* name : {"suffix_bpe", "identity_nobyte"}) {
    const std::vector<char> model = test::read_file(kSyntheticDir / (std::string(name) + ".model"));
    for (int trial = 0; trial < 400; ++trial) {
      std::string bytes(model.begin(), model.end());
      const int flips = 1 + int(rng() % 8);
      for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = char(rng());
      std::unique_ptr<SentencePieceTokenizer> tok;
      const Status st = load_status(bytes, &tok);
      if (!st.ok()) {
        ASSERT_EQ(st.code(), StatusCode::invalid_input) << st.message();
        continue;
      }
      const auto ids = tok->encode("Hello  world\n\xE6\x97\xA5 12345 <s>", {.add_bos = true, .parse_special = true});
      for (int id : ids) ASSERT_TRUE(id >= 0 && id < tok->vocab_size());
      tok->decode_all(ids);
    }
  }
}

TEST(SpmModelFile, GarbageCharsmapTrieNeverReadsOutOfBounds) {
  const std::vector<char> bytes = test::read_file(kSyntheticDir / "nfkc_bpe.model");
  const SpmModel original = parse_spm_model(std::as_bytes(std::span(bytes.data(), bytes.size())), "nfkc_bpe.model");
  ASSERT_GT(original.normalizer.precompiled_charsmap.size(), 1000u);
  std::mt19937 rng(99);
  for (int trial = 0; trial < 40; ++trial) {
    SpmModel m = original;
    std::string& blob = m.normalizer.precompiled_charsmap;
    for (int f = 0; f < 2000; ++f) blob[4 + rng() % (blob.size() - 4)] = char(rng());
    const auto tok = SentencePieceTokenizer::from_model(std::move(m), "garbage");
    for (size_t i = 0; i < corpus().size(); i += 37) tok->encode(corpus()[i], kNoBos);
  }
}

TEST(SpmModelFile, MissingFileIsInvalidInputNamingIt) {
  auto tok = load_tokenizer("/nonexistent/dir/tokenizer.model");
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::invalid_input);
  EXPECT_NE(tok.status().message().find("/nonexistent/dir/tokenizer.model"), std::string::npos);
}

TEST(SpmModelFile, TruncatedFileOnDiskIsInvalidInputNamingTheFile) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  const std::vector<char> model = test::read_file(shared_dir() / kLlama2Model);
  test::TempDir dir;
  const fs::path path = dir / "tokenizer.model";
  test::write_file(path, model.data(), model.size() / 2);
  auto tok = load_tokenizer(path.string());
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::invalid_input);
  EXPECT_NE(tok.status().message().find(path.string()), std::string::npos) << tok.status().message();
  EXPECT_NE(tok.status().message().find("corrupt protobuf"), std::string::npos) << tok.status().message();
}

// ------------------------------------------------------------------ llama2.c tokenizer.bin

TEST(Llama2cTokenizer, EncodesTheMachineLikeLlama2cRun) {
  LLAMAFAST_REQUIRE_SHARED("models/aidreams260K/tok512.bin");
  auto tok = load_tokenizer((shared_dir() / "models/aidreams260K/tok512.bin").string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(join((*tok)->encode("The machine")), "1 368 430 276 435 307 259 430");
  EXPECT_EQ((*tok)->decode_all((*tok)->encode("The machine")), "The machine");
}

// llama2.c's tokenizer.bin holds the same 32,000 pieces with "▁" written as a
// space, and its encoder is the same score-ordered BPE, so on valid UTF-8 it
// gives SentencePiece's ids except where the text holds a literal U+2581:
// SentencePiece reads it as a space, llama2.c (whose pieces hold real spaces)
// spells it in bytes. Control, unknown and byte pieces ("<s>", "<0x41>") are
// plain strings to llama2.c, but none can be reached by merging: no two
// normal pieces concatenate to one of them.
TEST(Llama2cTokenizer, Llama2TokenizerBinMatchesSentencePieceExceptOnLiteralU2581) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Bin);
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  const auto l2c = Llama2cTokenizer::load((shared_dir() / kLlama2Bin).string());
  ASSERT_EQ(l2c->vocab_size(), llama2_spm().vocab_size());
  int same = 0, with_u2581 = 0;
  for (size_t i = 0; i < corpus().size(); ++i) {
    const std::string& s = corpus()[i];
    const auto a = l2c->encode(s, kNoBos), b = llama2_spm().encode(s, kNoBos);
    if (a == b) {
      ++same;
    } else if (s.find("\xE2\x96\x81") != std::string::npos) {
      ++with_u2581;
      // The difference is only in how the U+2581 is spelled: the texts agree once it is a space.
      EXPECT_EQ(l2c->encode(replace_all(s, "\xE2\x96\x81", " "), kNoBos), b) << "line " << i << " " << show(s);
    } else {
      ADD_FAILURE() << "line " << i << " " << show(s) << "\n  llama2.c      " << join(a) << "\n  SentencePiece "
                    << join(b);
    }
  }
  std::printf("llama2.c tokenizer.bin vs SentencePiece on %zu corpus strings: %d identical, %d differ (literal U+2581)\n",
              corpus().size(), same, with_u2581);
  EXPECT_EQ(same + with_u2581, int(corpus().size()));
}

// The other difference: bytes that are not UTF-8 stay raw bytes in llama2.c,
// while SentencePiece first turns each into U+FFFD.
TEST(Llama2cTokenizer, KeepsInvalidUtf8AsRawBytesWhereSentencePieceUsesReplacementCharacters) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Bin);
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  const auto l2c = Llama2cTokenizer::load((shared_dir() / kLlama2Bin).string());
  EXPECT_EQ(l2c->encode("a\x80" "b", kNoBos), (std::vector<int>{263, 0x80 + 3, 29890}));
  EXPECT_EQ(llama2_spm().encode("a\x80" "b", kNoBos), (std::vector<int>{263, 30140, 29890}));  // 30140 is U+FFFD
}

// ------------------------------------------------------------------ CLI

TEST(SpmCli, TokenizePrintsIdsAndPieces) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  const std::string model = test::quote(shared_dir() / kLlama2Model);
  auto r = test::run_cli("tokenize -z " + model + " -p 'Hello world'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 15043 3186\n");
  r = test::run_cli("tokenize -z " + model + " -p 'Hello world' --no-bos --pieces");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "15043\t\xE2\x96\x81Hello\n3186\t\xE2\x96\x81world\n");
  r = test::run_cli("tokenize -z " + model + " -p '<s>hi' --no-bos --parse-special");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 7251\n");
}

TEST(SpmCli, TokenizeReadsAFileAndDetokenizeGivesItBack) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  test::TempDir dir;
  const std::string text = "Line one\n\tindented \xF0\x9F\xA6\x99 line two\n";
  test::write_file(dir / "in.txt", text.data(), text.size());
  const std::string model = test::quote(shared_dir() / kLlama2Model);
  const auto ids = test::run_cli("tokenize -z " + model + " -f " + test::quote(dir / "in.txt"));
  ASSERT_EQ(ids.exit_code, 0) << ids.err;
  ASSERT_FALSE(ids.out.empty());
  const std::string id_list = ids.out.substr(0, ids.out.size() - 1);
  const auto back = test::run_cli("detokenize -z " + model + " --ids '" + id_list + "'");
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(back.out, text);
}

TEST(SpmCli, TokenizeWithAModelDirectoryFindsItsTokenizer) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  test::TempDir dir;
  fs::create_symlink(shared_dir() / kLlama2Model, dir / "tokenizer.model");
  const auto r = test::run_cli("tokenize -m " + test::quote(dir.path()) + " -p 'Hello world'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 15043 3186\n");
}

TEST(SpmCli, BadInputsAreUsageErrors) {
  LLAMAFAST_REQUIRE_SHARED(kLlama2Model);
  const std::string model = test::quote(shared_dir() / kLlama2Model);
  EXPECT_EQ(test::run_cli("tokenize -z " + model).exit_code, 2);                    // no text
  EXPECT_EQ(test::run_cli("tokenize -p hi").exit_code, 2);                           // no tokenizer
  EXPECT_EQ(test::run_cli("tokenize -z /nonexistent.model -p hi").exit_code, 2);     // missing file
  EXPECT_EQ(test::run_cli("detokenize -z " + model + " --ids '1 x'").exit_code, 2);  // not an id
  EXPECT_EQ(test::run_cli("detokenize -z " + model + " --ids '99999'").exit_code, 2);  // out of range
}

}  // namespace
}  // namespace llamafast
