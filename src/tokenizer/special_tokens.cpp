#include "tokenizer/special_tokens.h"

#include <algorithm>

namespace llamafast {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool is_word_byte(char c) {
  const auto u = uint8_t(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_';
}

// Whether [begin, end) overlaps one of the sorted, disjoint `spans`.
bool overlaps(std::span<const TextSpan> spans, size_t begin, size_t end) {
  const auto it = std::upper_bound(spans.begin(), spans.end(), begin,
                                   [](size_t pos, const TextSpan& s) { return pos < s.end; });
  return it != spans.end() && it->begin < end;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const std::string& c = tokens_[i].content;
    if (c.empty()) continue;
    if (!tokens_[i].special) any_ordinary_ = true;
    by_content_.emplace(std::string_view(c), i);  // the first of duplicates wins
    auto& lengths = lengths_by_first_byte_[uint8_t(c[0])];
    if (std::find(lengths.begin(), lengths.end(), c.size()) == lengths.end()) lengths.push_back(c.size());
  }
  for (auto& lengths : lengths_by_first_byte_) std::sort(lengths.rbegin(), lengths.rend());
}

std::optional<AddedTokenMatcher::Match> AddedTokenMatcher::match_at(std::string_view text, size_t pos,
                                                                    bool with_special,
                                                                    std::span<const TextSpan> plain) const {
  for (size_t len : lengths_by_first_byte_[uint8_t(text[pos])]) {
    if (len > text.size() - pos) continue;
    auto it = by_content_.find(text.substr(pos, len));
    if (it == by_content_.end()) continue;
    const AddedToken& t = tokens_[it->second];
    if (t.special && (!with_special || overlaps(plain, pos, pos + len))) continue;
    size_t end = pos + len;
    if (t.single_word && ((pos > 0 && is_word_byte(text[pos - 1])) || (end < text.size() && is_word_byte(text[end]))))
      continue;
    size_t begin = pos;
    if (t.lstrip)
      while (begin > 0 && is_space(text[begin - 1])) --begin;
    if (t.rstrip)
      while (end < text.size() && is_space(text[end])) ++end;
    return Match{begin, end, &t};
  }
  return std::nullopt;
}

std::optional<AddedTokenMatcher::Match> AddedTokenMatcher::find(std::string_view text, size_t from,
                                                                bool with_special,
                                                                std::span<const TextSpan> plain) const {
  if (tokens_.empty() || (!with_special && !any_ordinary_)) return std::nullopt;
  for (size_t pos = from; pos < text.size(); ++pos) {
    if (lengths_by_first_byte_[uint8_t(text[pos])].empty()) continue;
    if (auto m = match_at(text, pos, with_special, plain)) {
      m->begin = std::max(m->begin, from);  // never swallow text already consumed
      return m;
    }
  }
  return std::nullopt;
}

}  // namespace llamafast
