// SentencePiece's `tokenizer.model`: a serialized ModelProto (protobuf), read
// into plain structs. Only the fields that change encoding or decoding are
// kept; the trainer's other settings (input files, vocabulary size, ...) are
// skipped. Field numbers follow sentencepiece_model.proto:
//   ModelProto      1 pieces (repeated SentencePiece), 2 trainer_spec, 3 normalizer_spec,
//                   5 denormalizer_spec
//   SentencePiece   1 piece, 2 score, 3 type
//   TrainerSpec     3 model_type, 24 treat_whitespace_as_suffix, 35 byte_fallback,
//                   40 unk_id, 41 bos_id, 42 eos_id, 43 pad_id, 44 unk_surface,
//                   45 unk_piece, 46 bos_piece, 47 eos_piece, 48 pad_piece
//   NormalizerSpec  1 name, 2 precompiled_charsmap, 3 add_dummy_prefix,
//                   4 remove_extra_whitespaces, 5 escape_whitespaces
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llamafast {

// The values are the proto's enum numbers.
enum class PieceType : uint8_t { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };
enum class SpmModelType : uint8_t { unigram = 1, bpe = 2, word = 3, character = 4 };

struct SpmPiece {
  std::string text;  // as stored: spaces are U+2581 "▁", bytes are "<0xNN>"
  float score = 0;
  PieceType type = PieceType::normal;
};

struct SpmNormalizerSpec {
  std::string name;                   // informational: the charsmap below is what runs
  std::string precompiled_charsmap;   // empty: identity (Llama 2, Mistral)
  bool add_dummy_prefix = true;       // proto defaults
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

struct SpmTrainerSpec {
  SpmModelType model_type = SpmModelType::unigram;  // proto default
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  int unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  std::string unk_surface = " \xE2\x81\x87 ";  // " ⁇ ": what an unknown token decodes to
  std::string unk_piece = "<unk>", bos_piece = "<s>", eos_piece = "</s>", pad_piece = "<pad>";
};

struct SpmModel {
  std::vector<SpmPiece> pieces;
  SpmTrainerSpec trainer;
  SpmNormalizerSpec normalizer;
  bool has_denormalizer_charsmap = false;  // decoding rules llamafast does not implement
  // Not in tokenizer.model (always true there): GGUF's tokenizer.ggml.add_bos_token.
  bool add_bos = true;
};

// Parses a serialized ModelProto; `file` names the input in errors. Checks the
// wire format only (the tokenizer checks that the contents make sense).
SpmModel parse_spm_model(std::span<const std::byte> bytes, std::string_view file);

}  // namespace llamafast
