#include "tokenizer/llama2c_tokenizer.h"

#include <cstdio>

#include "common/error.h"
#include "io/mapped_file.h"
#include "tokenizer/bpe_merge.h"
#include "tokenizer/utf8.h"

namespace llamafast {

std::unique_ptr<Llama2cTokenizer> Llama2cTokenizer::load(const std::string& path, int vocab_size) {
  const MappedFile file = MappedFile::open(path);
  return parse(file.bytes(), path, vocab_size);
}

std::unique_ptr<Llama2cTokenizer> Llama2cTokenizer::parse(std::span<const std::byte> bytes, const std::string& path,
                                                          int vocab_size) {
  ByteReader in(bytes, path);
  auto tok = std::make_unique<Llama2cTokenizer>();
  const int32_t max_len = in.read<int32_t>("max_token_length");
  if (max_len <= 0 || max_len > (1 << 16)) fail("{}: invalid max_token_length {}", path, max_len);
  while (!in.at_end() && (vocab_size == 0 || int(tok->pieces_.size()) < vocab_size)) {
    const size_t index = tok->pieces_.size();
    const float score = in.read<float>("token score");
    const int32_t len = in.read<int32_t>("token length");
    if (len < 0 || len > max_len) fail("{}: token {} has invalid length {}", path, index, len);
    std::string piece(in.take(size_t(len), "token bytes"));
    tok->ids_.insert(piece, int(index));  // first occurrence wins, as a lookup should
    for (size_t i = 1; i < piece.size(); ++i)
      if (piece[i] == ' ' && piece[i - 1] != ' ') tok->words_independent_ = false;
    tok->pieces_.push_back(std::move(piece));
    tok->scores_.push_back(score);
  }
  if (vocab_size != 0 && int(tok->pieces_.size()) < vocab_size)
    fail("{}: has {} tokens, the model needs {}", path, tok->pieces_.size(), vocab_size);
  if (tok->pieces_.size() < size_t(kByteOffset + 256))
    fail("{}: only {} tokens, too few for a byte-fallback vocabulary", path, tok->pieces_.size());
  return tok;
}

std::vector<int> Llama2cTokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int> out;
  if (options.add_bos) out.push_back(bos_id());
  if (text.empty()) return out;

  // Symbols are spans of `work`; a character missing from the vocabulary is split
  // into single bytes, which later map to <0xNN> pieces.
  const std::string work = " " + std::string(text);
  std::vector<uint32_t> starts;
  for (size_t i = 0; i < work.size();) {
    const size_t n = utf8_char_length(work, i);
    if (n == 1 || ids_.find(std::string_view(work).substr(i, n)) >= 0) {
      starts.push_back(uint32_t(i));
    } else {
      for (size_t b = 0; b < n; ++b) starts.push_back(uint32_t(i + b));
    }
    i += n;
  }
  const MergeScore score = [this](std::string_view piece) -> std::optional<float> {
    const int id = ids_.find(piece);
    if (id < 0) return std::nullopt;
    return scores_[size_t(id)];
  };
  // Merge word by word when that cannot change the result (see words_independent_):
  // a word starts at a space that follows a non-space byte.
  std::vector<Span> spans;
  std::vector<uint32_t> word_starts;
  size_t first = 0;
  auto merge_word = [&](size_t end) {
    if (first == end) return;
    const uint32_t offset = starts[first];
    const uint32_t stop = end < starts.size() ? starts[end] : uint32_t(work.size());
    word_starts.clear();
    for (size_t k = first; k < end; ++k) word_starts.push_back(starts[k] - offset);
    for (Span sp : bpe_merge(std::string_view(work).substr(offset, stop - offset), word_starts, score))
      spans.push_back({sp.begin + offset, sp.end + offset});
    first = end;
  };
  for (size_t k = 1; words_independent_ && k < starts.size(); ++k)
    if (work[starts[k]] == ' ' && work[starts[k] - 1] != ' ') merge_word(k);
  merge_word(starts.size());

  for (const Span& s : spans) {
    const int id = ids_.find(std::string_view(work).substr(s.begin, s.end - s.begin));
    if (id >= 0) {
      out.push_back(id);
    } else {
      for (uint32_t b = s.begin; b < s.end; ++b) out.push_back(int(uint8_t(work[b])) + kByteOffset);
    }
  }
  return out;
}

std::string Llama2cTokenizer::decode(int prev, int id) const {
  // BOS and EOS are stored as "\n<s>\n" and "\n</s>\n": control tokens print nothing.
  if (id < 0 || id >= vocab_size() || is_control(id)) return {};
  const std::string& p = pieces_[size_t(id)];
  unsigned byte = 0;
  if (p.size() == 6 && std::sscanf(p.c_str(), "<0x%02X>", &byte) == 1) return std::string(1, char(byte));
  // After BOS, SentencePiece drops the dummy-prefix space.
  if (prev == bos_id() && !p.empty() && p[0] == ' ') return p.substr(1);
  return p;
}

}  // namespace llamafast
