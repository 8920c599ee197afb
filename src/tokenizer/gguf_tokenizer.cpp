#include "tokenizer/gguf_tokenizer.h"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/mapped_file.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "tokenizer/tiktoken_tokenizer.h"

namespace llamafast {

namespace {

using json = nlohmann::json;

struct Vocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;     // 0 when the file has none
  std::vector<PieceType> types;  // normal when the file has none (values as SentencePiece's)
  int bos = -1, eos = -1, unk = -1;
  bool add_bos = true;
};

// A special token id from the metadata: -1 when absent or "none" (u32 all-ones).
int special_id(const GgufFile& g, const std::string& key, size_t n) {
  const auto v = g.integer(key);
  if (!v || *v == 0xffffffff || *v == -1) return -1;
  if (*v < 0 || uint64_t(*v) >= n) fail("{}: {} is {}, outside the vocabulary of {} tokens", g.file, key, *v, n);
  return int(*v);
}

Vocab read_vocab(const GgufFile& g) {
  Vocab v;
  const auto* tokens = g.array("tokenizer.ggml.tokens", GgufType::string);
  if (!tokens || tokens->empty()) fail("{}: no tokenizer.ggml.tokens", g.file);
  const size_t n = tokens->size();
  for (const GgufValue& t : *tokens) v.tokens.push_back(t.text);
  v.scores.assign(n, 0.0f);
  if (const auto* scores = g.array("tokenizer.ggml.scores", GgufType::f32)) {
    if (scores->size() != n) fail("{}: {} scores for {} tokens", g.file, scores->size(), n);
    for (size_t i = 0; i < n; ++i) v.scores[i] = float((*scores)[i].number);
  }
  v.types.assign(n, PieceType::normal);
  if (const auto* types = g.array("tokenizer.ggml.token_type", GgufType::i32)) {
    if (types->size() != n) fail("{}: {} token types for {} tokens", g.file, types->size(), n);
    for (size_t i = 0; i < n; ++i) {
      const int64_t t = gguf_integer((*types)[i], g.file, "tokenizer.ggml.token_type");
      if (t < 0 || t > 6) fail("{}: token {} has type {} (0 to 6 are defined)", g.file, i, t);
      if (t != 0) v.types[i] = static_cast<PieceType>(t);  // 0: llama.cpp's "undefined", read as normal
    }
  }
  v.bos = special_id(g, "tokenizer.ggml.bos_token_id", n);
  v.eos = special_id(g, "tokenizer.ggml.eos_token_id", n);
  v.unk = special_id(g, "tokenizer.ggml.unknown_token_id", n);
  // Files without token types still name their unknown token; SentencePiece finds it by type.
  if (v.unk >= 0 && std::find(v.types.begin(), v.types.end(), PieceType::unknown) == v.types.end())
    v.types[size_t(v.unk)] = PieceType::unknown;
  v.add_bos = g.boolean("tokenizer.ggml.add_bos_token").value_or(true);
  return v;
}

std::unique_ptr<Tokenizer> spm_tokenizer(const GgufFile& g, Vocab v) {
  SpmModel m;
  m.trainer.model_type = SpmModelType::bpe;
  m.trainer.bos_id = v.bos;
  m.trainer.eos_id = v.eos;
  m.trainer.unk_id = v.unk;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (v.types[i] == PieceType::byte) m.trainer.byte_fallback = true;
    m.pieces.push_back({std::move(v.tokens[i]), v.scores[i], v.types[i]});
  }
  // Llama's tokenizer.model settings: an "identity" normalizer that keeps runs of spaces.
  m.normalizer.name = "identity";
  m.normalizer.remove_extra_whitespaces = false;
  m.normalizer.add_dummy_prefix = g.boolean("tokenizer.ggml.add_space_prefix").value_or(true);
  m.add_bos = v.add_bos;
  return SentencePieceTokenizer::from_model(std::move(m), g.file);
}

// tokenizer.ggml.pre -> the Hugging Face pre_tokenizer it stands for.
json bpe_pre_tokenizer(const GgufFile& g) {
  const std::string pre = g.string("tokenizer.ggml.pre").value_or("default");
  if (pre == "llama-bpe" || pre == "llama3") {
    return {{"type", "Sequence"},
            {"pretokenizers",
             {{{"type", "Split"},
               {"pattern", {{"Regex", llama3_tiktoken_spec().pattern}}},
               {"behavior", "Isolated"},
               {"invert", false}},
              {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  }
  if (pre == "gpt-2") return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  fail("{}: unsupported BPE pre-tokenizer tokenizer.ggml.pre = \"{}\" (supported: llama-bpe, llama3, gpt-2)", g.file,
       pre);
}

// Byte-level BPE: the same vocabulary as a tokenizer.json would hold it, so one
// implementation serves both sources.
std::unique_ptr<Tokenizer> bpe_tokenizer(const GgufFile& g, const Vocab& v) {
  const auto* merges = g.array("tokenizer.ggml.merges", GgufType::string);
  if (!merges) fail("{}: a gpt2 tokenizer needs tokenizer.ggml.merges", g.file);
  const std::string pre = g.string("tokenizer.ggml.pre").value_or("default");
  json tj;
  tj["pre_tokenizer"] = bpe_pre_tokenizer(g);
  tj["decoder"] = {{"type", "ByteLevel"}};
  json& model = tj["model"];
  model["type"] = "BPE";
  // Llama 3 looks a whole pre-token up before merging (tokenizer.json's ignore_merges).
  model["ignore_merges"] = pre != "gpt-2";
  json vocab = json::object(), added = json::array();
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    const PieceType t = v.types[i];
    if (t == PieceType::control || t == PieceType::user_defined)
      added.push_back({{"id", i}, {"content", v.tokens[i]}, {"special", t == PieceType::control}});
    else
      vocab[v.tokens[i]] = i;
  }
  model["vocab"] = std::move(vocab);
  json m = json::array();
  for (const GgufValue& s : *merges) m.push_back(s.text);
  model["merges"] = std::move(m);
  tj["added_tokens"] = std::move(added);

  json config = {{"add_bos_token", v.add_bos}};
  if (v.bos >= 0) config["bos_token"] = v.tokens[size_t(v.bos)];
  if (v.eos >= 0) config["eos_token"] = v.tokens[size_t(v.eos)];
  std::string tokenizer_json, config_json;
  try {
    tokenizer_json = tj.dump();
    config_json = config.dump();
  } catch (const json::exception&) {  // JSON strings must be UTF-8; byte-level vocabularies always are
    fail("{}: a gpt2 vocabulary with a token or merge that is not valid UTF-8", g.file);
  }
  return HfTokenizer::parse(tokenizer_json, config_json, "", g.file);
}

}  // namespace

std::unique_ptr<Tokenizer> gguf_tokenizer(const GgufFile& g) {
  const auto model = g.string("tokenizer.ggml.model");
  if (!model) fail("{}: GGUF file has no vocabulary (tokenizer.ggml.model); pass a tokenizer with -z", g.file);
  Vocab v = read_vocab(g);
  if (*model == "llama") return spm_tokenizer(g, std::move(v));
  if (*model == "gpt2") return bpe_tokenizer(g, v);
  fail("{}: unsupported tokenizer.ggml.model \"{}\" (supported: llama, gpt2)", g.file, *model);
}

std::string gguf_vocabulary(const std::string& path) {
  const MappedFile file = MappedFile::open(path);
  const GgufFile g = parse_gguf(file.bytes(), path, /*metadata_only=*/true);
  std::string out(reinterpret_cast<const char*>(file.data()), g.metadata_end);
  const uint64_t no_tensors = 0;
  std::memcpy(out.data() + 8, &no_tensors, sizeof no_tensors);  // the tensor count follows magic and version
  return out;
}

}  // namespace llamafast
