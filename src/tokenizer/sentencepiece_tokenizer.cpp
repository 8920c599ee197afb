#include "tokenizer/sentencepiece_tokenizer.h"

#include <fstream>
#include <unordered_map>

#include "common/error.h"
#include "io/mapped_file.h"
#include "tokenizer/bpe_merge.h"
#include "tokenizer/utf8.h"

namespace llamafast {

namespace {

// "<0xNN>" (uppercase hex, as SentencePiece writes it) -> NN; -1 otherwise.
int byte_piece_value(std::string_view p) {
  if (p.size() != 6 || !p.starts_with("<0x") || p[5] != '>') return -1;
  int v = 0;
  for (char c : p.substr(3, 2)) {
    if (c >= '0' && c <= '9') v = v * 16 + (c - '0');
    else if (c >= 'A' && c <= 'F') v = v * 16 + (c - 'A' + 10);
    else return -1;
  }
  return v;
}

const char* model_type_name(SpmModelType t) {
  switch (t) {
    case SpmModelType::unigram: return "unigram";
    case SpmModelType::bpe: return "BPE";
    case SpmModelType::word: return "word";
    case SpmModelType::character: return "char";
  }
  return "unknown";
}

}  // namespace

bool looks_like_sentencepiece_model(std::span<const std::byte> head) {
  // ModelProto's first field is its first piece: key 0x0A (field 1,
  // length-delimited), a varint length, then the piece's own key 0x0A.
  const auto at = [&](size_t i) { return uint8_t(head[i]); };
  if (head.size() < 4 || at(0) != 0x0a) return false;
  size_t i = 1;
  uint64_t length = 0;
  for (int shift = 0; i < head.size() && shift < 35; shift += 7) {
    const uint8_t b = at(i++);
    length |= uint64_t(b & 0x7f) << shift;
    if (b < 0x80) return length >= 2 && i < head.size() && at(i) == 0x0a;
  }
  return false;
}

bool looks_like_sentencepiece_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::byte head[16];
  in.read(reinterpret_cast<char*>(head), sizeof head);
  return looks_like_sentencepiece_model(std::span<const std::byte>(head, size_t(in.gcount())));
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::load(const std::string& path) {
  const MappedFile file = MappedFile::open(path);
  return from_bytes(file.bytes(), path);
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_bytes(std::span<const std::byte> bytes,
                                                                           std::string_view name) {
  return from_model(parse_spm_model(bytes, name), name);
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_model(SpmModel model, std::string_view name) {
  const SpmTrainerSpec& trainer = model.trainer;
  if (model.pieces.empty()) fail("{}: SentencePiece model has no pieces", name);
  if (trainer.model_type != SpmModelType::bpe)
    fail("{}: is a SentencePiece {} model; llamafast reads only BPE models (Llama 2, Mistral, TinyLlama)", name,
         model_type_name(trainer.model_type));
  if (model.has_denormalizer_charsmap)
    fail("{}: SentencePiece model has denormalization rules, which llamafast does not implement", name);

  std::unique_ptr<SentencePieceTokenizer> tok(new SentencePieceTokenizer());
  tok->pieces_ = std::move(model.pieces);
  tok->byte_fallback_ = trainer.byte_fallback;
  tok->unk_surface_ = trainer.unk_surface;
  const int n = int(tok->pieces_.size());
  tok->byte_ids_.assign(256, -1);
  std::vector<std::string_view> user_defined;
  std::vector<AddedToken> specials;
  tok->ids_.reserve(size_t(n));
  for (int id = 0; id < n; ++id) {
    const SpmPiece& p = tok->pieces_[size_t(id)];
    if (p.text.empty()) fail("{}: SentencePiece piece {} is empty", name, id);
    if (!tok->ids_.insert(p.text, id))
      fail("{}: SentencePiece piece \"{}\" is defined twice (ids {} and {})", name, p.text, tok->ids_.find(p.text), id);
    switch (p.type) {
      case PieceType::unknown:
        if (tok->unk_id_ >= 0) fail("{}: SentencePiece model has two unknown pieces ({} and {})", name, tok->unk_id_, id);
        tok->unk_id_ = id;
        specials.push_back({p.text, id});
        break;
      case PieceType::control: specials.push_back({p.text, id}); break;
      case PieceType::user_defined: user_defined.push_back(p.text); break;
      case PieceType::unused: tok->has_unused_ = true; break;
      case PieceType::byte: {
        if (!trainer.byte_fallback)
          fail("{}: SentencePiece byte piece \"{}\" (id {}) in a model without byte_fallback", name, p.text, id);
        const int b = byte_piece_value(p.text);
        if (b < 0) fail("{}: SentencePiece byte piece {} is \"{}\", not <0xNN>", name, id, p.text);
        tok->byte_ids_[size_t(b)] = id;
        break;
      }
      case PieceType::normal: break;
    }
  }
  if (tok->unk_id_ < 0) fail("{}: SentencePiece model has no unknown piece", name);
  for (int& id : tok->byte_ids_)
    if (id < 0) id = tok->unk_id_;
  const auto in_range = [n](int id) { return id >= 0 && id < n ? id : -1; };
  tok->bos_id_ = in_range(trainer.bos_id);
  tok->add_bos_ = model.add_bos;
  tok->eos_id_ = in_range(trainer.eos_id);

  // Segmenting is exact when no piece a merge can make spans a cut: with
  // spaces as prefixes ("▁word"), no piece may hold a "▁" after another
  // character; as suffixes ("word▁"), none may hold a "▁" before one. UNUSED
  // pieces are split back by a rule over the whole text, so they rule it out.
  tok->suffix_ = trainer.treat_whitespace_as_suffix;
  tok->segment_at_spaces_ = !tok->has_unused_;
  for (const SpmPiece& p : tok->pieces_) {
    if (p.type != PieceType::normal && p.type != PieceType::user_defined) continue;
    const std::string_view t = p.text;
    for (size_t k = t.find(kSpmSpace); k != std::string_view::npos; k = t.find(kSpmSpace, k + 1)) {
      const size_t after = k + kSpmSpace.size();
      const bool crosses = tok->suffix_ ? after < t.size() && t.compare(after, kSpmSpace.size(), kSpmSpace) != 0
                                        : k > 0 && (k < kSpmSpace.size() ||
                                                    t.compare(k - kSpmSpace.size(), kSpmSpace.size(), kSpmSpace) != 0);
      if (crosses) tok->segment_at_spaces_ = false;
    }
  }

  const SpmNormalizerSpec& ns = model.normalizer;
  tok->add_dummy_prefix_ = ns.add_dummy_prefix;
  tok->strip_leading_space_ = !trainer.treat_whitespace_as_suffix && (ns.add_dummy_prefix || ns.remove_extra_whitespaces);
  tok->normalizer_ =
      std::make_unique<SpmNormalizer>(ns, trainer.treat_whitespace_as_suffix, std::move(user_defined), name);
  tok->specials_ = AddedTokenMatcher(std::move(specials));
  return tok;
}

std::vector<int> SentencePieceTokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int> out;
  if (options.add_bos && add_bos_ && bos_id_ >= 0) out.push_back(bos_id_);
  if (!options.parse_special || specials_.empty()) {
    encode_text(text, add_dummy_prefix_, out);
    return out;
  }
  // Every stretch of plain text starts the input or follows a special token:
  // each gets the dummy prefix.
  size_t pos = 0;
  while (true) {
    const auto m = specials_.find(text, pos, /*with_special=*/true, options.plain_spans);
    const size_t end = m ? m->begin : text.size();
    if (end > pos) encode_text(text.substr(pos, end - pos), add_dummy_prefix_, out);
    if (!m) break;
    out.push_back(m->token->id);
    pos = m->end;
  }
  return out;
}

bool SentencePieceTokenizer::is_segment_boundary(std::string_view norm, size_t i) const {
  const auto space_at = [&](size_t k) { return norm.compare(k, kSpmSpace.size(), kSpmSpace) == 0; };
  if (i < kSpmSpace.size() || i >= norm.size()) return false;
  const bool space_before = space_at(i - kSpmSpace.size()), space_here = space_at(i);
  return suffix_ ? space_before && !space_here : space_here && !space_before;
}

void SentencePieceTokenizer::encode_text(std::string_view text, bool dummy_prefix, std::vector<int>& out) const {
  const std::string normalized = normalizer_->normalize(text, dummy_prefix);
  const std::string_view norm = normalized;
  if (norm.empty()) return;

  // frozen[offset] marks where a user-defined symbol starts: it never merges.
  std::vector<uint8_t> frozen;
  if (normalizer_->has_user_defined()) frozen.assign(norm.size(), 0);
  // For each UNUSED piece made by a merge, the last pair queued that makes it
  // (SentencePiece's rule); views into `norm`.
  std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> unmerge;
  const auto score = [&](std::string_view left, std::string_view right) -> std::optional<float> {
    if (right.data() != left.data() + left.size()) fail_internal("bpe_merge_pairs: symbols are not adjacent views");
    if (!frozen.empty() && (frozen[size_t(left.data() - norm.data())] || frozen[size_t(right.data() - norm.data())]))
      return std::nullopt;
    const std::string_view merged(left.data(), left.size() + right.size());
    const int id = ids_.find(merged);
    if (id < 0) return std::nullopt;
    const SpmPiece& p = pieces_[size_t(id)];
    switch (p.type) {
      case PieceType::normal:
      case PieceType::user_defined: return p.score;
      case PieceType::unused: unmerge[merged] = {left, right}; return p.score;
      default: return std::nullopt;  // control, unknown and byte pieces are not merge results
    }
  };

  bool prev_unknown = false;
  const auto emit = [&](std::string_view piece) {
    const int found = ids_.find(piece);
    const int id = found < 0 ? unk_id_ : found;
    if (id != unk_id_) {
      out.push_back(id);
      prev_unknown = false;
    } else if (byte_fallback_) {
      for (char c : piece) out.push_back(byte_ids_[uint8_t(c)]);
      prev_unknown = false;
    } else {
      if (!prev_unknown) out.push_back(unk_id_);  // a run of unknown symbols is one unknown token
      prev_unknown = true;
    }
  };

  // Merges one segment (initial symbols at `starts`, relative to it) and emits its pieces.
  std::vector<std::string_view> stack;
  const auto merge_segment = [&](std::string_view segment, const std::vector<uint32_t>& starts) {
    for (const Span& s : bpe_merge_pairs(segment, starts, score)) {
      const std::string_view symbol = segment.substr(s.begin, s.end - s.begin);
      if (!has_unused_) {
        emit(symbol);
        continue;
      }
      stack.assign(1, symbol);  // an UNUSED piece is replaced by the pair that made it, recursively
      while (!stack.empty()) {
        const std::string_view w = stack.back();
        stack.pop_back();
        const int id = ids_.find(w);
        const auto pair = id >= 0 && pieces_[size_t(id)].type == PieceType::unused
                              ? unmerge.find(w)
                              : unmerge.end();
        if (pair == unmerge.end()) {
          emit(w);
        } else {
          stack.push_back(pair->second.second);
          stack.push_back(pair->second.first);
        }
      }
    }
  };

  // Initial symbols: characters, and user-defined pieces whole. The text is
  // merged in segments of at least kSegmentBytes cut where no merge can cross
  // (see segment_at_spaces_): the same pieces as one pass over the whole text,
  // but each heap of candidates stays small enough for the cache (one heap over
  // 1 MB of text is several times slower).
  std::vector<uint32_t> starts;
  size_t segment_begin = 0;
  for (size_t i = 0; i < norm.size();) {
    if (segment_at_spaces_ && i - segment_begin >= kSegmentBytes && is_segment_boundary(norm, i)) {
      merge_segment(norm.substr(segment_begin, i - segment_begin), starts);
      starts.clear();
      segment_begin = i;
    }
    starts.push_back(uint32_t(i - segment_begin));
    size_t n = frozen.empty() ? 0 : normalizer_->match_user_defined(norm.substr(i));
    if (n > 0) {
      frozen[i] = 1;
    } else {
      n = utf8_char_length(norm, i);
    }
    i += n;
  }
  merge_segment(norm.substr(segment_begin), starts);
}

std::string SentencePieceTokenizer::decode(int prev, int id) const {
  if (id < 0 || id >= vocab_size()) return {};
  const SpmPiece& p = pieces_[size_t(id)];
  switch (p.type) {
    case PieceType::control: return {};
    case PieceType::unknown: return unk_surface_;
    case PieceType::byte: return std::string(1, char(byte_piece_value(p.text)));
    default: break;
  }
  std::string_view text = p.text;
  if (strip_leading_space_ && (prev < 0 || is_control(prev)) && text.starts_with(kSpmSpace))
    text.remove_prefix(kSpmSpace.size());
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, kSpmSpace.size()) == kSpmSpace) {
      out += ' ';
      i += kSpmSpace.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string SentencePieceTokenizer::piece(int id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return pieces_[size_t(id)].text;
}

std::vector<int> SentencePieceTokenizer::eos_ids() const {
  if (eos_id_ < 0) return {};
  return {eos_id_};
}

bool SentencePieceTokenizer::is_control(int id) const {
  return id >= 0 && id < vocab_size() && pieces_[size_t(id)].type == PieceType::control;
}

}  // namespace llamafast
