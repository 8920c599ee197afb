// Finds added/special tokens (such as "<|eot_id|>") in text before it is
// pre-tokenized: at each position the longest token that starts there wins, and
// the earliest position wins over later ones.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "llamafast/tokenizer.h"

namespace llamafast {

struct AddedToken {
  std::string content;
  int id = -1;
  bool special = true;       // control token: matched only when EncodeOptions::parse_special is set
  bool lstrip = false;       // also swallows the whitespace before it (Hugging Face)
  bool rstrip = false;       // also swallows the whitespace after it
  bool single_word = false;  // only when not inside a word (ASCII letters, digits, '_', non-ASCII)
};

class AddedTokenMatcher {
 public:
  struct Match {
    size_t begin;  // the text the token replaces, whitespace swallowed by lstrip/rstrip included
    size_t end;
    const AddedToken* token;
  };

  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);
  AddedTokenMatcher(AddedTokenMatcher&&) = default;
  AddedTokenMatcher& operator=(AddedTokenMatcher&&) = default;

  // The first token at or after `from`, considering special tokens only when
  // `with_special` and then not where they overlap one of `plain` (sorted spans
  // of text to keep plain, see EncodeOptions::plain_spans).
  std::optional<Match> find(std::string_view text, size_t from, bool with_special,
                            std::span<const TextSpan> plain = {}) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  bool empty() const { return tokens_.empty(); }

 private:
  std::optional<Match> match_at(std::string_view text, size_t pos, bool with_special,
                                std::span<const TextSpan> plain) const;

  std::vector<AddedToken> tokens_;
  bool any_ordinary_ = false;                                   // some token is not special
  std::unordered_map<std::string_view, size_t> by_content_;     // views into tokens_[i].content
  std::array<std::vector<size_t>, 256> lengths_by_first_byte_;  // distinct lengths, longest first
};

}  // namespace llamafast
