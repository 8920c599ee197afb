// Splitting text into pre-tokens before BPE: regular expressions (tiktoken's split
// pattern, Hugging Face Split and ByteLevel pre-tokenizers) on PCRE2, and Hugging
// Face's rules for what becomes of the matches and the text between them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/bpe_merge.h"  // Span

namespace llamafast {

// A compiled pattern in the syntax of Rust's regex / Oniguruma as tokenizer files
// write it, matched with PCRE2 in UTF + Unicode-property mode (JIT-compiled where
// PCRE2 supports it). `\s` and `\S` are rewritten to Unicode White_Space, as Rust
// and Oniguruma define them (PCRE2's own \s also matches U+180E). Invalid UTF-8 in
// the text never matches: it is left between matches. Safe to share across threads.
class Regex {
 public:
  // Fails with "<where>: invalid regex ...: <why> at offset N" when it does not compile.
  Regex(std::string_view pattern, std::string_view where);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Appends the non-overlapping, non-empty matches in `text`, leftmost first.
  // Never fails: should PCRE2 give up on a match (resource limits), the rest of
  // the text is treated as not matching.
  void find_all(std::string_view text, std::vector<Span>& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `pattern` with `\s`/`\S` replaced by explicit Unicode White_Space classes.
std::string rust_regex_to_pcre2(std::string_view pattern);

// What Hugging Face's Split does with the matches (SplitDelimiterBehavior).
enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

// Cuts `text` (of `text_size` bytes) at `matches` (ascending, non-overlapping) and
// appends the non-empty pieces to `out`. With `invert`, the text between the
// matches plays the part of the matches.
void split_at_matches(size_t text_size, const std::vector<Span>& matches, SplitBehavior behavior, bool invert,
                      std::vector<Span>& out);

}  // namespace llamafast
