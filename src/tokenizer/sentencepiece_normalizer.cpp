#include "tokenizer/sentencepiece_normalizer.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace llamafast {

namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 character at the start of `s` (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF); 0 when invalid.
size_t valid_utf8_length(std::string_view s) {
  const auto b = [&](size_t i) { return uint8_t(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  const uint8_t c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;  // overlong
    if (c == 0xed && b(1) > 0x9f) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xf4 && b(1) > 0x8f) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// darts-clone double-array units: a label byte (bit 31 set on value units), a
// has-leaf flag, and an offset to the children (or a 31-bit value on leaves).
uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
uint32_t unit_label(uint32_t u) { return u & ((1u << 31) | 0xff); }
bool unit_has_leaf(uint32_t u) { return (u >> 8) & 1; }
uint32_t unit_value(uint32_t u) { return u & ((1u << 31) - 1); }

// SentencePiece keeps at most this many prefix matches per position (the
// shortest ones), so a longer rule beyond them is never used; neither is it here.
constexpr int kMaxTrieResults = 32;

}  // namespace

SpmNormalizer::SpmNormalizer(const SpmNormalizerSpec& spec, bool treat_whitespace_as_suffix,
                             std::vector<std::string_view> user_defined, std::string_view file)
    : spec_(spec), suffix_(treat_whitespace_as_suffix) {
  // Charsmap blob: uint32 trie size in bytes, the trie units, then the
  // replacement strings, each NUL-terminated.
  const std::string& blob = spec_.precompiled_charsmap;
  if (!blob.empty()) {
    uint32_t trie_bytes = 0;
    if (blob.size() < 4) fail("{}: corrupt precompiled_charsmap: {} bytes, too short for its header", file, blob.size());
    std::memcpy(&trie_bytes, blob.data(), 4);
    if (trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4)
      fail("{}: corrupt precompiled_charsmap: trie size {} does not fit in {} bytes", file, trie_bytes,
           blob.size() - 4);
    trie_.resize(trie_bytes / 4);
    std::memcpy(trie_.data(), blob.data() + 4, trie_bytes);
    replacements_ = blob.substr(4 + size_t(trie_bytes));
    replacements_.push_back('\0');  // every offset inside now ends at a NUL
  }
  for (std::string_view u : user_defined) {
    if (u.empty() || !user_defined_.insert(u).second) continue;
    auto& lengths = user_defined_lengths_[uint8_t(u[0])];
    if (std::find(lengths.begin(), lengths.end(), u.size()) == lengths.end()) lengths.push_back(u.size());
  }
  for (auto& lengths : user_defined_lengths_) std::sort(lengths.rbegin(), lengths.rend());
}

size_t SpmNormalizer::match_user_defined(std::string_view s) const {
  if (user_defined_.empty() || s.empty()) return 0;
  for (size_t len : user_defined_lengths_[uint8_t(s[0])])
    if (len <= s.size() && user_defined_.count(s.substr(0, len))) return len;
  return 0;
}

std::pair<uint32_t, size_t> SpmNormalizer::charsmap_lookup(std::string_view input) const {
  std::pair<uint32_t, size_t> best{0, 0};
  if (trie_.empty()) return best;
  size_t node = unit_offset(trie_[0]);
  int matches = 0;
  for (size_t i = 0; i < input.size() && matches < kMaxTrieResults; ++i) {
    const uint8_t c = uint8_t(input[i]);
    node ^= c;
    if (node >= trie_.size()) break;  // corrupt trie: treat as no further match
    const uint32_t u = trie_[node];
    if (unit_label(u) != c) break;
    node ^= unit_offset(u);
    if (unit_has_leaf(u)) {
      if (node >= trie_.size()) break;
      const uint32_t value = unit_value(trie_[node]);
      if (value < replacements_.size()) best = {value, i + 1};  // matches come shortest first
      ++matches;
    }
  }
  return best;
}

std::pair<std::string_view, size_t> SpmNormalizer::normalize_prefix(std::string_view input) const {
  if (const size_t n = match_user_defined(input)) return {input.substr(0, n), n};
  if (!trie_.empty()) {
    const auto [offset, length] = charsmap_lookup(input);
    if (length > 0) return {std::string_view(replacements_.c_str() + offset), length};
  }
  const size_t n = valid_utf8_length(input);
  if (n == 0) return {kReplacementChar, 1};
  return {input.substr(0, n), n};
}

std::string SpmNormalizer::normalize(std::string_view input, bool dummy_prefix) const {
  std::string out;
  const std::string_view space = spec_.escape_whitespaces ? kSpmSpace : std::string_view(" ");
  const bool squeeze = spec_.remove_extra_whitespaces;
  if (squeeze) {
    while (!input.empty()) {
      const auto [rep, n] = normalize_prefix(input);
      if (rep != " ") break;
      input.remove_prefix(n);
    }
  }
  if (input.empty()) return out;

  out.reserve(input.size() + input.size() / 2 + space.size());
  if (dummy_prefix && !suffix_) out += space;
  bool prev_space = squeeze;
  while (!input.empty()) {
    auto [rep, n] = normalize_prefix(input);
    if (prev_space)
      while (!rep.empty() && rep.front() == ' ') rep.remove_prefix(1);
    if (!rep.empty()) {
      for (char c : rep) {
        if (c == ' ' && spec_.escape_whitespaces) {
          out += kSpmSpace;
        } else {
          out += c;
        }
      }
      prev_space = squeeze && rep.back() == ' ';
    }
    input.remove_prefix(n);
  }
  if (squeeze)
    while (out.size() >= space.size() && std::string_view(out).substr(out.size() - space.size()) == space)
      out.resize(out.size() - space.size());
  if (dummy_prefix && suffix_) out += space;
  return out;
}

}  // namespace llamafast
