#include "tokenizer/tiktoken_tokenizer.h"

#include <charconv>
#include <optional>

#include "common/error.h"
#include "io/mapped_file.h"
#include "tokenizer/bpe_merge.h"

namespace llamafast {
namespace {

// Strict RFC 4648 base64 (standard alphabet, '=' padding to a multiple of 4,
// unused low bits zero); nullopt when `text` is not exactly that.
std::optional<std::string> decode_base64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  while (pad < 2 && text[text.size() - 1 - pad] == '=') ++pad;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size() - pad; ++i) {
    const int v = value(text[i]);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  if (acc & ((1u << bits) - 1)) return std::nullopt;  // non-canonical trailing bits
  return out;
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) {
    const auto u = uint8_t(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  if (s.size() > 40) out += "...";
  return out;
}

// Rank file -> pieces by rank, with every problem reported by line.
std::vector<std::string> parse_ranks(std::string_view content, std::string_view name) {
  std::vector<std::string> pieces;
  std::unordered_map<std::string, size_t> line_of_piece;
  size_t line_no = 0;
  for (size_t pos = 0; pos < content.size();) {
    ++line_no;
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t space = line.find(' ');
    if (line.empty() || space == std::string_view::npos || space == 0 || space + 1 == line.size())
      fail("{}: line {}: expected 'base64-bytes rank', got '{}'", name, line_no, printable(line));
    const std::string_view b64 = line.substr(0, space), rank_text = line.substr(space + 1);
    uint64_t rank = 0;
    auto [end, ec] = std::from_chars(rank_text.data(), rank_text.data() + rank_text.size(), rank);
    if (ec != std::errc() || end != rank_text.data() + rank_text.size() || rank > 0x7fffffff)
      fail("{}: line {}: rank '{}' is not a non-negative integer", name, line_no, printable(rank_text));
    if (rank < pieces.size())
      fail("{}: line {}: duplicate rank {} (already on line {})", name, line_no, rank, rank + 1);
    if (rank > pieces.size())
      fail("{}: line {}: rank {} skips rank {} (ranks must be 0, 1, 2, ... in order)", name, line_no, rank,
           pieces.size());
    std::optional<std::string> bytes = decode_base64(b64);
    if (!bytes) fail("{}: line {}: invalid base64 '{}'", name, line_no, printable(b64));
    auto [it, inserted] = line_of_piece.emplace(*bytes, line_no);
    if (!inserted)
      fail("{}: line {}: duplicate piece '{}' (already rank {} on line {})", name, line_no, printable(*bytes),
           it->second - 1, it->second);
    pieces.push_back(std::move(*bytes));
  }
  if (pieces.empty()) fail("{}: no ranks: empty tiktoken file", name);
  for (int b = 0; b < 256; ++b)
    if (!line_of_piece.count(std::string(1, char(b))))
      fail("{}: byte 0x{:02x} has no rank: a tiktoken vocabulary needs all 256 single bytes", name, b);
  return pieces;
}

TiktokenSpec make_llama3_spec() {
  TiktokenSpec spec;
  spec.pattern =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  spec.special_tokens = {
      "<|begin_of_text|>",
      "<|end_of_text|>",
      "<|reserved_special_token_0|>",
      "<|reserved_special_token_1|>",
      "<|finetune_right_pad_id|>",
      "<|step_id|>",
      "<|start_header_id|>",
      "<|end_header_id|>",
      "<|eom_id|>",
      "<|eot_id|>",
      "<|python_tag|>",
  };
  const size_t named = spec.special_tokens.size();
  for (size_t i = 0; i < 256 - named; ++i)
    spec.special_tokens.push_back(fmt::format("<|reserved_special_token_{}|>", 2 + i));
  spec.bos = "<|begin_of_text|>";
  spec.eos = {"<|end_of_text|>", "<|eot_id|>", "<|eom_id|>"};
  return spec;
}

}  // namespace

const TiktokenSpec& llama3_tiktoken_spec() {
  static const TiktokenSpec spec = make_llama3_spec();
  return spec;
}

bool TiktokenTokenizer::sniff(std::string_view head) {
  // Text (binary formats have control bytes early on) whose first line has a
  // space, like "IQ== 0"; a malformed rank file still counts, so that the
  // tiktoken parser, not another format's, reports what is wrong with it.
  if (head.empty() || head[0] == '{') return false;
  for (char c : head)
    if ((uint8_t(c) < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f) return false;
  const std::string_view first_line = head.substr(0, head.find('\n'));
  return first_line.find(' ') != std::string_view::npos;
}

TiktokenTokenizer::TiktokenTokenizer(std::vector<std::string> pieces, const TiktokenSpec& spec, std::string_view name)
    : pieces_(std::move(pieces)), split_(spec.pattern, name) {
  ranks_.reserve(pieces_.size());
  for (size_t r = 0; r < pieces_.size(); ++r) ranks_.insert(pieces_[r], int(r));

  std::vector<AddedToken> specials;
  for (size_t i = 0; i < spec.special_tokens.size(); ++i)
    specials.push_back({spec.special_tokens[i], int(pieces_.size() + i), true});
  specials_ = AddedTokenMatcher(std::move(specials));
  auto special_id = [&](const std::string& text) {
    for (const AddedToken& t : specials_.tokens())
      if (t.content == text) return t.id;
    fail("{}: special token '{}' is not defined", name, text);
  };
  if (!spec.bos.empty()) bos_ = special_id(spec.bos);
  for (const std::string& e : spec.eos) eos_.push_back(special_id(e));
}

std::unique_ptr<TiktokenTokenizer> TiktokenTokenizer::parse(std::string_view content, std::string_view name,
                                                            const TiktokenSpec& spec) {
  return std::unique_ptr<TiktokenTokenizer>(new TiktokenTokenizer(parse_ranks(content, name), spec, name));
}

std::unique_ptr<TiktokenTokenizer> TiktokenTokenizer::parse(std::string_view content, std::string_view name) {
  std::vector<std::string> pieces = parse_ranks(content, name);
  if (pieces.size() != size_t(kLlama3RankCount))
    fail(
        "{}: {} ranks; only Meta Llama 3's {}-rank tiktoken vocabulary is supported (a tiktoken file does not "
        "say its split pattern or special tokens)",
        name, pieces.size(), kLlama3RankCount);
  return std::unique_ptr<TiktokenTokenizer>(new TiktokenTokenizer(std::move(pieces), llama3_tiktoken_spec(), name));
}

std::unique_ptr<TiktokenTokenizer> TiktokenTokenizer::load(const std::string& path) {
  const MappedFile file = MappedFile::open(path);
  return parse(std::string_view(reinterpret_cast<const char*>(file.data()), file.size()), path);
}

void TiktokenTokenizer::encode_ordinary(std::string_view text, std::vector<int>& out) const {
  std::vector<Span> matches, pieces;
  split_.find_all(text, matches);
  // Text the pattern does not cover (only invalid UTF-8 for Llama 3's) is kept as
  // pre-tokens of its own, so nothing is lost.
  split_at_matches(text.size(), matches, SplitBehavior::isolated, false, pieces);

  std::vector<uint32_t> starts;
  const MergeScore score = [this](std::string_view piece) -> std::optional<float> {
    const int rank = ranks_.find(piece);
    if (rank < 0) return std::nullopt;
    return -float(rank);
  };
  for (const Span& p : pieces) {
    const std::string_view word = text.substr(p.begin, p.end - p.begin);
    if (const int rank = ranks_.find(word); rank >= 0) {
      out.push_back(rank);
      continue;
    }
    starts.resize(word.size());
    for (uint32_t i = 0; i < word.size(); ++i) starts[i] = i;
    for (const Span& s : bpe_merge(word, starts, score))
      out.push_back(ranks_.find(word.substr(s.begin, s.end - s.begin)));  // every byte has a rank
  }
}

std::vector<int> TiktokenTokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int> out;
  out.reserve(text.size() / 3 + 2);
  if (options.add_bos && bos_ >= 0) out.push_back(bos_);
  size_t pos = 0;
  if (options.parse_special) {
    while (auto m = specials_.find(text, pos, true, options.plain_spans)) {
      encode_ordinary(text.substr(pos, m->begin - pos), out);
      out.push_back(m->token->id);
      pos = m->end;
    }
  }
  encode_ordinary(text.substr(pos), out);
  return out;
}

std::string TiktokenTokenizer::decode(int prev, int id) const { return piece(id); }

std::string TiktokenTokenizer::piece(int id) const {
  if (id < 0 || id >= vocab_size()) return {};
  if (id < int(pieces_.size())) return pieces_[size_t(id)];
  return specials_.tokens()[size_t(id) - pieces_.size()].content;
}

}  // namespace llamafast
