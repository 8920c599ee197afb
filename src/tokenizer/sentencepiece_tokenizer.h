// SentencePiece BPE tokenizer (`tokenizer.model` of Llama 2, Mistral,
// TinyLlama), encoding exactly as the SentencePiece library does:
//   1. normalize (sentencepiece_normalizer.h): dummy prefix, spaces -> "▁";
//   2. split into characters, each user-defined piece as one symbol that never merges;
//   3. BPE: repeatedly merge the adjacent pair whose concatenation is the
//      highest-scoring piece (ties: leftmost), see bpe_merge.h;
//   4. an UNUSED piece left at the end is split back into the pair it was made from;
//   5. a symbol not in the vocabulary becomes its UTF-8 bytes as <0xNN> pieces
//      (byte_fallback), else the unknown id (one per run of unknown symbols).
// SentencePiece merges the whole text as one sequence; here long texts are
// merged in short segments cut where the vocabulary shows no merge can cross
// (before "▁word"), which gives the same ids in linear time (~200 ms per MB).
// With EncodeOptions::parse_special, the text of control pieces ("<s>", "</s>")
// becomes their id; the text after one gets its own dummy prefix, as when
// each segment of a Llama 2 chat prompt is encoded separately.
// Unigram, word and char models are refused with a clear error.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llamafast/tokenizer.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/piece_table.h"
#include "tokenizer/sentencepiece_normalizer.h"
#include "tokenizer/special_tokens.h"

namespace llamafast {

// True when `path` starts like a serialized ModelProto (a first piece
// message), as opposed to llama2.c's tokenizer.bin, tiktoken text or JSON.
bool looks_like_sentencepiece_model(const std::string& path);
bool looks_like_sentencepiece_model(std::span<const std::byte> head);

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Reads a tokenizer.model file; fails (llamafast::Error naming the file) on
  // corrupt or unsupported models.
  static std::unique_ptr<SentencePieceTokenizer> load(const std::string& path);
  // The same from bytes in memory; `name` stands for the file in errors.
  static std::unique_ptr<SentencePieceTokenizer> from_bytes(std::span<const std::byte> bytes, std::string_view name);
  static std::unique_ptr<SentencePieceTokenizer> from_model(SpmModel model, std::string_view name);
  // The normalizer holds views into pieces_: not copyable or movable.
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::vector<int> encode(std::string_view text, const EncodeOptions& options = {}) const override;
  // "▁" becomes a space; the leading space of the first piece is dropped at the
  // start and after a control token (the dummy prefix the encoder added there);
  // byte pieces give their raw byte, control pieces nothing, the unknown piece
  // the model's unk_surface (" ⁇ "). Decoding differs from SentencePiece's
  // only for text after a control token in mid-sequence, and in not removing
  // the trailing space of treat_whitespace_as_suffix models.
  std::string decode(int prev, int id) const override;
  std::string piece(int id) const override;  // "" when out of range
  int vocab_size() const override { return int(pieces_.size()); }
  int bos_id() const override { return bos_id_; }
  std::vector<int> eos_ids() const override;
  bool is_control(int id) const override;

  int unk_id() const { return unk_id_; }
  PieceType piece_type(int id) const { return pieces_.at(size_t(id)).type; }
  const SpmNormalizer& normalizer() const { return *normalizer_; }

 private:
  SentencePieceTokenizer() = default;
  // Encodes one stretch of text without special tokens, appending ids to `out`.
  void encode_text(std::string_view text, bool dummy_prefix, std::vector<int>& out) const;
  // Whether normalized text may be cut before byte `i` (at the start of a run
  // of "▁", or after its end with treat_whitespace_as_suffix).
  bool is_segment_boundary(std::string_view norm, size_t i) const;

  static constexpr size_t kSegmentBytes = 256;  // merge at least this much text at once

  std::vector<SpmPiece> pieces_;
  PieceTable ids_;  // every piece's text -> id
  std::vector<int> byte_ids_;  // byte -> <0xNN> piece id (unk when missing)
  bool byte_fallback_ = false;
  bool has_unused_ = false;
  bool suffix_ = false;              // treat_whitespace_as_suffix
  bool segment_at_spaces_ = false;   // no mergeable piece spans a segment boundary
  bool add_dummy_prefix_ = true;
  bool strip_leading_space_ = true;  // decode: SentencePiece drops the first piece's leading "▁"
  int unk_id_ = -1;
  int bos_id_ = -1;
  bool add_bos_ = true;  // SpmModel::add_bos
  int eos_id_ = -1;
  std::string unk_surface_;
  std::unique_ptr<SpmNormalizer> normalizer_;
  AddedTokenMatcher specials_;  // control pieces, for parse_special
};

}  // namespace llamafast
