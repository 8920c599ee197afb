// The merge loop shared by every BPE tokenizer here (SentencePiece, llama2.c,
// tiktoken, Hugging Face): start from small symbols, repeatedly merge the
// adjacent pair whose concatenation scores best (ties: leftmost), until no pair
// is in the vocabulary. A heap of candidate pairs keeps it O(n log n) instead of
// rescanning the whole text after every merge.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace llamafast {

struct Span {
  uint32_t begin;
  uint32_t end;
};

// Scores a candidate merged piece; nullopt when it is not in the vocabulary.
// Higher scores merge first (a tiktoken rank r is scored as -r).
using MergeScore = std::function<std::optional<float>(std::string_view piece)>;

// `starts` lists where each initial symbol begins in `text` (ascending, starts[0] == 0);
// returns the spans of the symbols left after merging, in order.
std::vector<Span> bpe_merge(std::string_view text, const std::vector<uint32_t>& starts,
                            const MergeScore& score);

// Scores merging two adjacent symbols, for vocabularies with an explicit merge
// list (Hugging Face BPE: merge rank r is scored as -r), where the same merged
// piece may rank differently depending on how it is split.
using PairScore = std::function<std::optional<float>(std::string_view left, std::string_view right)>;

// As above, with the score of the pair instead of the merged piece.
std::vector<Span> bpe_merge_pairs(std::string_view text, const std::vector<uint32_t>& starts,
                                  const PairScore& score);

}  // namespace llamafast
