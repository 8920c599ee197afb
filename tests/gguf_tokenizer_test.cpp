// Tokenizers built from GGUF metadata: Llama 2's vocabulary (llama.cpp's
// vocab-only file) against llama.cpp's vectors and the SentencePiece
// tokenizer.model; the llama2.c vocabulary of the aidreams / rnd128 files
// against tok512.bin; byte-level BPE from a GGUF written here from Llama 3's
// tokenizer.json against llama.cpp's llama-bpe vectors.
#include <sstream>

#include "common/error.h"
#include "gguf_writer.h"
#include "io/gguf.h"
#include "llamafast/tokenizer.h"
#include "test_support.h"
#include "tokenizer/gguf_tokenizer.h"

namespace llamafast {
namespace {

namespace fs = std::filesystem;
using test::shared_dir;

constexpr EncodeOptions kNoBos{.add_bos = false};
const char* kSpmVocab = "testdata/tokenizer/llama-spm-vocab.gguf";

std::unique_ptr<Tokenizer> load(const fs::path& p) {
  auto t = load_tokenizer(p.string());
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : nullptr;
}

// llama.cpp's vectors: inputs end with "\n__ggml_vocab_test__\n", one line of ids per input.
std::vector<std::pair<std::string, std::vector<int>>> read_vectors(const std::string& name) {
  const fs::path dir = shared_dir() / "testdata/tokenizer";
  const auto raw = test::read_file(dir / (name + ".inp"));
  const std::string inp(raw.begin(), raw.end()), sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t hit = inp.find(sep, pos);
    inputs.push_back(inp.substr(pos, hit - pos));
    pos = hit == std::string::npos ? inp.size() : hit + sep.size();
  }
  std::vector<std::pair<std::string, std::vector<int>>> out;
  std::ifstream in(dir / (name + ".out"));
  for (std::string line; std::getline(in, line) && out.size() < inputs.size();) {
    std::vector<int> ids;
    std::istringstream ss(line);
    for (int id; ss >> id;) ids.push_back(id);
    out.emplace_back(inputs[out.size()], std::move(ids));
  }
  EXPECT_EQ(out.size(), inputs.size());
  return out;
}

TEST(GgufTokenizer, Llama2VocabMatchesLlamaCppVectors) {
  LLAMAFAST_REQUIRE_SHARED(kSpmVocab);
  const auto tok = load(shared_dir() / kSpmVocab);
  ASSERT_TRUE(tok);
  const auto vectors = read_vectors("llama-spm");
  ASSERT_GE(vectors.size(), 40u);
  for (const auto& [text, ids] : vectors) EXPECT_EQ(tok->encode(text, kNoBos), ids) << "'" << text << "'";
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_ids(), std::vector<int>{2});
}

TEST(GgufTokenizer, Llama2VocabEncodesTheCorpusLikeTokenizerModel) {
  LLAMAFAST_REQUIRE_SHARED(kSpmVocab);
  LLAMAFAST_REQUIRE_SHARED("tokenizers/llama2/tokenizer.model");
  const auto gguf = load(shared_dir() / kSpmVocab), spm = load(shared_dir() / "tokenizers/llama2/tokenizer.model");
  ASSERT_TRUE(gguf && spm);
  int lines = 0, mismatches = 0;
  std::ifstream in(test::fixtures_dir() / "tokenizer/corpus.jsonl");
  for (std::string line; std::getline(in, line); ++lines) {
    const std::string text = nlohmann::json::parse(line).get<std::string>();
    const auto ids = gguf->encode(text);
    if (ids != spm->encode(text) && ++mismatches <= 5) ADD_FAILURE() << "line " << lines << ": " << text;
    if (gguf->decode_all(ids) != spm->decode_all(ids) && ++mismatches <= 5) ADD_FAILURE() << "decode, line " << lines;
  }
  EXPECT_GE(lines, 2000);
  EXPECT_EQ(mismatches, 0);
}

TEST(GgufTokenizer, Llama2cVocabularyEncodesLikeTok512) {
  LLAMAFAST_REQUIRE_SHARED("models/aidreams260K/tok512.bin");
  const auto tok512 = load(shared_dir() / "models/aidreams260K/tok512.bin");
  const std::vector<int> want = {1, 368, 430, 276, 435, 307, 259, 430};
  for (const char* file : {"models/aidreams260K/model-f32.gguf", "testdata/gguf/rnd128-f32.gguf",
                           "testdata/gguf/rnd128-Q4_0.gguf"}) {
    const auto tok = load(shared_dir() / file);
    ASSERT_TRUE(tok) << file;
    EXPECT_EQ(tok->encode("The machine"), want) << file;
    // What a tokenizer keeps of the model file: header and metadata only.
    const std::string vocab = gguf_vocabulary((shared_dir() / file).string());
    EXPECT_LT(vocab.size(), 64u << 10) << file;
    const GgufFile g = parse_gguf(std::as_bytes(std::span(vocab)), file);
    EXPECT_TRUE(g.tensors.empty()) << file;
    EXPECT_EQ(g.metadata.size(), parse_gguf(std::as_bytes(std::span(vocab)), file, true).metadata.size());
    for (const char* text : {"Hello, world! 123", "features emerge,\nfragile dance  of probability.", "naïve €"})
      EXPECT_EQ(tok->encode(text), tok512->encode(text)) << file << ": " << text;
  }
}

// A vocab-only GGUF holding Llama 3's tokenizer.json as llama.cpp's converter writes it.
std::vector<uint8_t> llama3_gguf(const std::string& pre) {
  const auto j = test::read_json(shared_dir() / "tokenizers/llama3/tokenizer.json");
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (const auto& [text, id] : j["model"]["vocab"].items()) {
    if (size_t(id.get<int>()) >= tokens.size()) tokens.resize(size_t(id.get<int>()) + 1);
    tokens[size_t(id.get<int>())] = text;
  }
  types.assign(tokens.size(), 1);
  for (const auto& a : j["added_tokens"]) {
    const size_t id = a["id"].get<size_t>();
    if (id >= tokens.size()) tokens.resize(id + 1), types.resize(id + 1, 1);
    tokens[id] = a["content"].get<std::string>();
    types[id] = a["special"].get<bool>() ? 3 : 4;
  }
  std::vector<std::string> merges;
  for (const auto& m : j["model"]["merges"])
    merges.push_back(m.is_string() ? m.get<std::string>() : m[0].get<std::string>() + " " + m[1].get<std::string>());
  test::GgufWriter w;
  w.str("general.architecture", "llama");
  w.str("tokenizer.ggml.model", "gpt2");
  w.str("tokenizer.ggml.pre", pre);
  w.strings("tokenizer.ggml.tokens", tokens);
  w.ints("tokenizer.ggml.token_type", types);
  w.strings("tokenizer.ggml.merges", merges);
  w.u32("tokenizer.ggml.bos_token_id", 128000);
  w.u32("tokenizer.ggml.eos_token_id", 128009);
  w.boolean("tokenizer.ggml.add_bos_token", true);
  return w.bytes();
}

std::unique_ptr<Tokenizer> from_bytes(const std::vector<uint8_t>& bytes) {
  return gguf_tokenizer(parse_gguf(std::as_bytes(std::span(bytes)), "vocab.gguf", true));
}

TEST(GgufTokenizer, Gpt2VocabularyMatchesLlamaCppBpeVectors) {
  LLAMAFAST_REQUIRE_SHARED("tokenizers/llama3/tokenizer.json");
  LLAMAFAST_REQUIRE_SHARED("testdata/tokenizer/llama-bpe.inp");
  const auto tok = from_bytes(llama3_gguf("llama-bpe"));
  for (const auto& [text, ids] : read_vectors("llama-bpe")) EXPECT_EQ(tok->encode(text, kNoBos), ids) << "'" << text << "'";
  EXPECT_EQ(tok->encode("Hi"), (std::vector<int>{128000, 13347}));
  EXPECT_EQ(tok->bos_id(), 128000);
  EXPECT_TRUE(tok->is_control(128009));
  EXPECT_EQ(tok->encode("<|eot_id|>", {.add_bos = false, .parse_special = true}), std::vector<int>{128009});
  EXPECT_EQ(tok->decode_all(tok->encode(" héllo  wörld\n", kNoBos)), " héllo  wörld\n");

  try {
    from_bytes(llama3_gguf("qwen2"));
    ADD_FAILURE() << "an unknown pre-tokenizer was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported BPE pre-tokenizer tokenizer.ggml.pre = \"qwen2\""),
              std::string::npos) << e.what();
  }
}

TEST(GgufTokenizer, AddBosTokenFalseIsHonoured) {
  test::GgufWriter w;
  w.str("tokenizer.ggml.model", "llama");
  w.strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "\xE2\x96\x81" "a"});
  w.ints("tokenizer.ggml.token_type", {2, 3, 3, 1});
  w.u32("tokenizer.ggml.bos_token_id", 1);
  w.boolean("tokenizer.ggml.add_bos_token", false);
  EXPECT_EQ(from_bytes(w.bytes())->encode("a"), std::vector<int>{3});
}

TEST(GgufTokenizer, WithoutTokenTypesTheUnknownIdNamesTheUnknownPiece) {
  test::GgufWriter w;
  w.str("tokenizer.ggml.model", "llama");
  w.strings("tokenizer.ggml.tokens", {"<unk>", "\xE2\x96\x81" "a", "b"});
  w.floats("tokenizer.ggml.scores", {0, -1, -2});
  w.u32("tokenizer.ggml.unknown_token_id", 0);
  EXPECT_EQ(from_bytes(w.bytes())->encode("a c b"), (std::vector<int>{1, 0, 2}));  // one unk for "▁c▁"
}

TEST(GgufTokenizer, MissingOrUnknownVocabularyIsAClearError) {
  test::GgufWriter none;
  none.str("general.architecture", "llama");
  test::GgufWriter rwkv;
  rwkv.str("tokenizer.ggml.model", "rwkv");
  rwkv.strings("tokenizer.ggml.tokens", {"a"});
  for (auto [w, expect] : {std::pair{&none, "no vocabulary"}, std::pair{&rwkv, "unsupported tokenizer.ggml.model \"rwkv\""}}) {
    try {
      from_bytes(w->bytes());
      ADD_FAILURE() << expect;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace llamafast
