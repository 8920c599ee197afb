#include "tokenizer/sentencepiece_model.h"

#include "common/error.h"
#include "tokenizer/protobuf_reader.h"

namespace llamafast {

namespace {

// More than any real vocabulary; ids must fit comfortably in an int.
constexpr size_t kMaxPieces = size_t(1) << 24;

SpmPiece parse_piece(ProtoReader in) {
  SpmPiece p;
  while (in.next()) {
    switch (in.field()) {
      case 1: p.text = std::string(in.read_bytes()); break;
      case 2: p.score = in.read_float(); break;
      case 3: {
        const int32_t t = in.read_int32();
        if (t < 1 || t > 6) in.fail_field(fmt::format("unknown piece type {}", t));
        p.type = PieceType(t);
        break;
      }
      default: in.skip();
    }
  }
  return p;
}

void parse_trainer(ProtoReader in, SpmTrainerSpec& t) {
  while (in.next()) {
    switch (in.field()) {
      case 3: {
        const int32_t type = in.read_int32();
        if (type < 1 || type > 4) in.fail_field(fmt::format("unknown model_type {}", type));
        t.model_type = SpmModelType(type);
        break;
      }
      case 24: t.treat_whitespace_as_suffix = in.read_bool(); break;
      case 35: t.byte_fallback = in.read_bool(); break;
      case 40: t.unk_id = in.read_int32(); break;
      case 41: t.bos_id = in.read_int32(); break;
      case 42: t.eos_id = in.read_int32(); break;
      case 43: t.pad_id = in.read_int32(); break;
      case 44: t.unk_surface = std::string(in.read_bytes()); break;
      case 45: t.unk_piece = std::string(in.read_bytes()); break;
      case 46: t.bos_piece = std::string(in.read_bytes()); break;
      case 47: t.eos_piece = std::string(in.read_bytes()); break;
      case 48: t.pad_piece = std::string(in.read_bytes()); break;
      default: in.skip();
    }
  }
}

void parse_normalizer(ProtoReader in, SpmNormalizerSpec& n) {
  while (in.next()) {
    switch (in.field()) {
      case 1: n.name = std::string(in.read_bytes()); break;
      case 2: n.precompiled_charsmap = std::string(in.read_bytes()); break;
      case 3: n.add_dummy_prefix = in.read_bool(); break;
      case 4: n.remove_extra_whitespaces = in.read_bool(); break;
      case 5: n.escape_whitespaces = in.read_bool(); break;
      default: in.skip();
    }
  }
}

}  // namespace

SpmModel parse_spm_model(std::span<const std::byte> bytes, std::string_view file) {
  SpmModel m;
  ProtoReader in(bytes, file, "ModelProto");
  while (in.next()) {
    switch (in.field()) {
      case 1:
        if (m.pieces.size() == kMaxPieces) in.fail_field(fmt::format("more than {} pieces", kMaxPieces));
        m.pieces.push_back(parse_piece(in.read_message("SentencePiece")));
        break;
      case 2: parse_trainer(in.read_message("TrainerSpec"), m.trainer); break;
      case 3: parse_normalizer(in.read_message("NormalizerSpec"), m.normalizer); break;
      case 5: {
        SpmNormalizerSpec denormalizer;
        parse_normalizer(in.read_message("NormalizerSpec (denormalizer)"), denormalizer);
        m.has_denormalizer_charsmap = !denormalizer.precompiled_charsmap.empty();
        break;
      }
      default: in.skip();
    }
  }
  return m;
}

}  // namespace llamafast
