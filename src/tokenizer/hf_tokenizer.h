// Hugging Face tokenizer.json with a BPE model, as used by Llama 2 and Llama 3
// family checkpoints on the Hub, plus the tokenizer_config.json beside it.
//
// Encoding follows the tokenizers library's pipeline:
//   added tokens are cut out of the raw text first (special ones only when
//   EncodeOptions::parse_special is set, the others always);
//   each stretch of text between them is normalized (Sequence, Prepend, Replace),
//   pre-tokenized (Sequence, Split, ByteLevel, Metaspace, Digits, Whitespace,
//   WhitespaceSplit), and each pre-token is encoded by the BPE model: looked up
//   whole when ignore_merges is set, otherwise merged pairwise, lowest merge rank
//   first; characters missing from the vocabulary become <0xNN> byte tokens
//   (byte_fallback) or the unk token.
// With a ByteLevel pre-tokenizer, the vocabulary and merges are translated from
// GPT-2's byte alphabet to raw bytes at load time, so encoding works on bytes.
// Unsupported components are refused at load with a message naming them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llamafast/tokenizer.h"
#include "tokenizer/piece_table.h"
#include "tokenizer/special_tokens.h"

namespace llamafast {

class HfTokenizer final : public Tokenizer {
 public:
  // Reads `path` (tokenizer.json) and, when present in the same folder,
  // tokenizer_config.json (BOS/EOS, add_bos_token, chat template) and
  // generation_config.json (eos_token_id).
  static std::unique_ptr<HfTokenizer> load(const std::string& path);
  // The same from memory: `config_json` / `generation_json` may be empty.
  // `name` prefixes error messages.
  static std::unique_ptr<HfTokenizer> parse(std::string_view tokenizer_json, std::string_view config_json,
                                            std::string_view generation_json, std::string_view name);
  // True when `head`, the start of a file, looks like JSON (a '{' after whitespace).
  static bool sniff(std::string_view head);

  ~HfTokenizer() override;
  HfTokenizer(const HfTokenizer&) = delete;
  HfTokenizer& operator=(const HfTokenizer&) = delete;

  // add_bos is honoured unless tokenizer_config.json sets "add_bos_token": false.
  std::vector<int> encode(std::string_view text, const EncodeOptions& options = {}) const override;
  // Byte-level pieces decode to their bytes, <0xNN> to byte NN, '▁' to ' ';
  // the dummy-prefix space of Metaspace/Strip decoders is dropped from the first
  // token (prev < 0) and from the token after BOS. Added tokens give their text.
  std::string decode(int prev, int id) const override;
  std::string piece(int id) const override;  // as written in tokenizer.json
  int vocab_size() const override { return int(pieces_.size()); }
  int bos_id() const override { return bos_; }
  std::vector<int> eos_ids() const override { return eos_; }
  bool is_control(int id) const override;

  // tokenizer_config.json's Jinja chat template ("" when there is none); for a
  // list of named templates, the one named "default" (else the first).
  const std::string& chat_template() const { return chat_template_; }
  // The id of a token's text (vocabulary or added token); -1 when unknown.
  int token_id(std::string_view text) const;

  struct Pipeline;  // normalizer, pre-tokenizer and decoder steps (hf_tokenizer.cpp)

 private:
  HfTokenizer();
  void encode_segment(std::string_view text, bool at_start, std::vector<int>& out) const;
  void encode_word(std::string_view word, std::vector<int>& out) const;

  std::unique_ptr<Pipeline> pipeline_;
  bool byte_level_ = false;     // model alphabet is raw bytes (ByteLevel pre-tokenizer)
  bool ignore_merges_ = false;  // a pre-token in the vocabulary is one token
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  int unk_ = -1;
  std::vector<int> byte_ids_;  // <0xNN> token per byte, -1 when missing (byte_fallback)

  std::vector<std::string> pieces_;  // id -> text as in tokenizer.json ("" for unused ids)
  PieceTable ids_;                   // key -> id
  PairTable merge_ranks_{&ids_};     // (left key, right key) -> merge rank

  std::vector<std::string> decoded_;  // id -> bytes it decodes to (before stripping)
  std::string strip_char_;            // dropped from the start of the first token's text (e.g. " ")
  int strip_count_ = 0;               // at most this many times
  AddedTokenMatcher added_;
  std::vector<bool> control_;
  bool add_bos_ = true;
  int bos_ = -1;
  std::vector<int> eos_;
  std::string chat_template_;
};

}  // namespace llamafast
