// tiktoken rank files, as shipped in Meta's original Llama 3 / 3.1 / 3.2
// checkpoint folders (tokenizer.model): one line per token, "base64(bytes) rank",
// ranks 0, 1, 2, … in order. Encoding: split the text with the model's regex, look
// each pre-token up whole, otherwise merge its bytes pairwise, lowest rank first.
//
// The file holds neither the split pattern nor the special tokens: they come from
// a TiktokenSpec. llama3_tiktoken_spec() is Meta's (Llama 3.1 and later): 256
// special tokens after the 128,000 ranks, BOS <|begin_of_text|>, end of
// generation at <|end_of_text|>, <|eot_id|> and <|eom_id|>.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llamafast/tokenizer.h"
#include "tokenizer/piece_table.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/special_tokens.h"

namespace llamafast {

struct TiktokenSpec {
  std::string pattern;                      // pre-tokenizer regex (Rust regex syntax)
  std::vector<std::string> special_tokens;  // ids n_ranks, n_ranks + 1, …
  std::string bos;                          // empty: none
  std::vector<std::string> eos;             // end generation
};

// Meta's Llama 3 split pattern and special tokens (llama-models' tokenizer.py order:
// ids 128000-128010 are begin_of_text, end_of_text, reserved_0, reserved_1,
// finetune_right_pad_id, step_id, start_header_id, end_header_id, eom_id, eot_id,
// python_tag; the rest <|reserved_special_token_2|> onwards).
const TiktokenSpec& llama3_tiktoken_spec();
inline constexpr int kLlama3RankCount = 128000;

class TiktokenTokenizer final : public Tokenizer {
 public:
  // Reads a Llama 3 tokenizer.model (128,000 ranks; other tiktoken vocabularies
  // are refused, since their pattern and special tokens are unknown).
  static std::unique_ptr<TiktokenTokenizer> load(const std::string& path);
  // The same from the file's bytes; `name` prefixes error messages.
  static std::unique_ptr<TiktokenTokenizer> parse(std::string_view content, std::string_view name);
  // Any rank file, with its pattern and special tokens given.
  static std::unique_ptr<TiktokenTokenizer> parse(std::string_view content, std::string_view name,
                                                  const TiktokenSpec& spec);
  // True when `head`, the start of a file, looks like a tiktoken rank file: text
  // whose first line holds a space.
  static bool sniff(std::string_view head);

  std::vector<int> encode(std::string_view text, const EncodeOptions& options = {}) const override;
  std::string decode(int prev, int id) const override;
  std::string piece(int id) const override;  // the raw bytes, or the special token's text
  int vocab_size() const override { return int(pieces_.size() + specials_.tokens().size()); }
  int bos_id() const override { return bos_; }
  std::vector<int> eos_ids() const override { return eos_; }
  bool is_control(int id) const override { return id >= int(pieces_.size()) && id < vocab_size(); }

  int rank_count() const { return int(pieces_.size()); }

  TiktokenTokenizer(const TiktokenTokenizer&) = delete;
  TiktokenTokenizer& operator=(const TiktokenTokenizer&) = delete;

 private:
  TiktokenTokenizer(std::vector<std::string> pieces, const TiktokenSpec& spec, std::string_view name);
  // Text with no special tokens in it.
  void encode_ordinary(std::string_view text, std::vector<int>& out) const;

  std::vector<std::string> pieces_;  // rank -> bytes
  PieceTable ranks_;                 // bytes -> rank
  Regex split_;
  AddedTokenMatcher specials_;
  int bos_ = -1;
  std::vector<int> eos_;
};

}  // namespace llamafast
