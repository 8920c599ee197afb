#include "tokenizer/bpe_merge.h"

#include <queue>

namespace llamafast {
namespace {

struct Symbol {
  Span span;
  int prev;
  int next;  // -1 at the ends
};

struct Candidate {
  float score;
  uint32_t left_begin;  // identifies the pair: spans are unique while alive
  uint32_t right_end;
  int left;
  int right;
  bool operator<(const Candidate& o) const {  // max-heap: best score, then leftmost
    if (score != o.score) return score < o.score;
    return left_begin > o.left_begin;
  }
};

// `pair_score(left, right)` scores merging two adjacent symbols' spans.
template <class PairScoreFn>
std::vector<Span> merge_spans(std::string_view text, const std::vector<uint32_t>& starts,
                              const PairScoreFn& pair_score) {
  std::vector<Symbol> symbols;
  symbols.reserve(starts.size());
  for (size_t i = 0; i < starts.size(); ++i) {
    const uint32_t end = i + 1 < starts.size() ? starts[i + 1] : uint32_t(text.size());
    symbols.push_back({{starts[i], end}, int(i) - 1, i + 1 < starts.size() ? int(i) + 1 : -1});
  }

  std::priority_queue<Candidate> heap;
  auto push_pair = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Span a = symbols[left].span, b = symbols[right].span;
    if (auto s = pair_score(a, b)) heap.push({*s, a.begin, b.end, left, right});
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i) push_pair(int(i), int(i) + 1);

  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    Symbol& l = symbols[c.left];
    // Stale entries: one side was merged away or grew since this pair was queued.
    if (l.next != c.right || l.span.begin != c.left_begin || symbols[c.right].span.end != c.right_end) continue;
    Symbol& r = symbols[c.right];
    l.span.end = r.span.end;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = c.left;
    r.span = {0, 0};
    r.prev = r.next = -2;  // dead
    push_pair(l.prev, c.left);
    push_pair(c.left, l.next);
  }

  std::vector<Span> out;
  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].span);
  return out;
}

}  // namespace

std::vector<Span> bpe_merge(std::string_view text, const std::vector<uint32_t>& starts,
                            const MergeScore& score) {
  return merge_spans(text, starts, [&](Span a, Span b) { return score(text.substr(a.begin, b.end - a.begin)); });
}

std::vector<Span> bpe_merge_pairs(std::string_view text, const std::vector<uint32_t>& starts,
                                  const PairScore& score) {
  return merge_spans(text, starts, [&](Span a, Span b) {
    return score(text.substr(a.begin, a.end - a.begin), text.substr(b.begin, b.end - b.begin));
  });
}

}  // namespace llamafast
