// SentencePiece's text normalizer: what happens to the text before BPE.
//   1. Each character is replaced by the charsmap's rule for the longest
//      matching prefix (the model's precompiled_charsmap, e.g. NFKC for
//      "nmt_nfkc"); with no charsmap ("identity", Llama 2) characters stay as
//      they are. User-defined pieces are never normalized. Bytes that are not
//      valid UTF-8 become U+FFFD, one per byte.
//   2. remove_extra_whitespaces: drop leading and trailing spaces, collapse runs.
//   3. add_dummy_prefix: a space before the text (after it with
//      treat_whitespace_as_suffix), unless the text is empty.
//   4. escape_whitespaces: ' ' becomes U+2581 "▁".
// Only U+0020 counts as a space here; tabs and newlines are spaces only where
// the charsmap maps them to U+0020.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tokenizer/sentencepiece_model.h"

namespace llamafast {

inline constexpr std::string_view kSpmSpace = "\xE2\x96\x81";  // U+2581 "▁"

class SpmNormalizer {
 public:
  // `user_defined` lists pieces matched whole (views must outlive the normalizer).
  // Fails (naming `file`) when the charsmap is corrupt.
  SpmNormalizer(const SpmNormalizerSpec& spec, bool treat_whitespace_as_suffix,
                std::vector<std::string_view> user_defined, std::string_view file);

  // The normalized text; `dummy_prefix` asks for the dummy-prefix space (the
  // caller combines add_dummy_prefix with where the text sits). Empty text, or
  // only spaces under remove_extra_whitespaces, normalizes to "".
  std::string normalize(std::string_view text, bool dummy_prefix) const;

  // Length of the longest user-defined piece that starts `s`, 0 when none.
  size_t match_user_defined(std::string_view s) const;
  bool has_user_defined() const { return !user_defined_.empty(); }

 private:
  // The replacement for the longest normalizable prefix of `input` and how many
  // input bytes it consumes (at least 1).
  std::pair<std::string_view, size_t> normalize_prefix(std::string_view input) const;
  // Longest charsmap rule matching a prefix of `input`: {replacement offset, length}; length 0 when none.
  std::pair<uint32_t, size_t> charsmap_lookup(std::string_view input) const;

  SpmNormalizerSpec spec_;
  bool suffix_ = false;
  // Precompiled charsmap: a double-array trie (darts-clone units) from input
  // prefixes to offsets in `replacements_` (NUL-terminated strings).
  std::vector<uint32_t> trie_;
  std::string replacements_;
  std::unordered_set<std::string_view> user_defined_;
  std::array<std::vector<size_t>, 256> user_defined_lengths_;  // by first byte, longest first
};

}  // namespace llamafast
