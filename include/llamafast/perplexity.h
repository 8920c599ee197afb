// Perplexity: scoring a token stream the way lm-eval's rolling log-likelihood
// (wikitext) does. The stream S (BOS + encode(text), length N + 1) is cut into
// non-overlapping input windows S[k*ctx : min((k+1)*ctx, N)], each run from
// position 0 on a fresh cache, whose targets are the next tokens
// S[k*ctx+1 : ...+1]: every token but the first is scored exactly once.
//
//   std::vector<int> stream = tokenizer.encode(text);              // BOS + ids
//   auto r = llamafast::score_stream(*session, stream, {.ctx = 256});
//   std::printf("%f\n", r->perplexity());
#pragma once

#include <cstddef>
#include <functional>
#include <span>

#include "llamafast/model.h"
#include "llamafast/status.h"

namespace llamafast {

struct ScoreOptions {
  int ctx = 0;             // window length in tokens; 0: the session's capacity
  bool log_probs = false;  // hand the log-softmax rows of the scored positions to the callback
};

// A run of consecutive scored tokens inside one window (a window is handed over
// in one or more pieces, so memory stays bounded for large vocabularies).
struct ScoredTokens {
  int window = 0;                    // window number, from 0
  int windows = 0;                   // windows in the whole stream
  size_t first = 0;                  // index of the first target among all N scored tokens
  size_t total = 0;                  // N, for progress
  std::span<const int> targets;      // the tokens scored here
  double nll = 0;                    // sum of -ln p(target) over them
  std::span<const float> log_probs;  // [targets.size()][vocab] ln p, when ScoreOptions::log_probs
};

// Called after each piece, in stream order; a failed Status stops scoring and is returned.
using ScoredCallback = std::function<Status(const ScoredTokens&)>;

struct ScoreResult {
  double nll_total = 0;    // sum of -ln p(target), natural log, over every scored token
  size_t token_count = 0;  // N
  int windows = 0;
  double perplexity() const;
  // nll in bits per byte of the text the stream was encoded from.
  double bits_per_byte(size_t text_bytes) const;
};

// Scores `stream` (at least two tokens) on `session`, rewinding it to 0 before
// each window; the session's previous contents are forgotten. Log-softmax is
// computed in double from the session's float logits.
Result<ScoreResult> score_stream(Session& session, std::span<const int> stream, const ScoreOptions& options = {},
                                 const ScoredCallback& on_scored = {});

}  // namespace llamafast
