// llama2.c's tokenizer.bin: a SentencePiece vocabulary exported as
//   int32 max_token_length, then per token: float32 score, int32 length, bytes.
// Encoding follows llama2.c: a dummy-prefix space, one symbol per UTF-8
// character (bytes <0xNN> = id byte+3 when the character is unknown), then
// score-ordered BPE merges.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "llamafast/tokenizer.h"
#include "tokenizer/piece_table.h"

namespace llamafast {

class Llama2cTokenizer final : public Tokenizer {
 public:
  // Reads `path`; vocab_size 0 means "every entry in the file".
  static std::unique_ptr<Llama2cTokenizer> load(const std::string& path, int vocab_size = 0);
  // The same from the file's bytes; `path` names them in errors.
  static std::unique_ptr<Llama2cTokenizer> parse(std::span<const std::byte> bytes, const std::string& path,
                                                 int vocab_size = 0);

  std::vector<int> encode(std::string_view text, const EncodeOptions& options) const override;
  std::string decode(int prev, int id) const override;
  std::string piece(int id) const override { return pieces_.at(id); }
  int vocab_size() const override { return int(pieces_.size()); }
  int bos_id() const override { return 1; }
  std::vector<int> eos_ids() const override { return {2}; }
  bool is_control(int id) const override { return id == 1 || id == 2; }

 private:
  static constexpr int kByteOffset = 3;  // <0x00> is id 3 in Llama 2 vocabularies
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  PieceTable ids_;
  // True when no piece has a space after another byte: then no merge can cross
  // the start of a word, and words are merged one at a time (small heaps, fast).
  bool words_independent_ = true;
};

}  // namespace llamafast
