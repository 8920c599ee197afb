// Rolling-window scoring (lm-eval's loglikelihood_rolling with context_len 1):
// windows never overlap and restart at position 0, so every token but the
// first is predicted from at most ctx - 1 tokens of its own window.
#include "llamafast/perplexity.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"

namespace llamafast {

namespace {

// Logit rows held at once: a whole window of a 128k-vocabulary model would
// need gigabytes. Kept a multiple of 128 (the default prefill chunk) so pieces
// split a window where the session's own chunking does.
constexpr size_t kPieceBytes = size_t(64) << 20;

size_t piece_rows(int ctx, size_t vocab) {
  size_t rows = kPieceBytes / (vocab * sizeof(float));
  rows = rows >= 128 ? rows / 128 * 128 : std::max<size_t>(rows, 1);
  return std::min(rows, static_cast<size_t>(ctx));
}

// Returns -ln p(target) from one row of logits, with the log-sum-exp in double
// (float would lose digits over a 100k-term sum); turns the row into ln p when asked.
double score_row(std::span<float> row, int target, bool keep_log_probs) {
  double max = row[0];
  for (float x : row) max = std::max(max, double(x));
  double sum = 0;
  for (float x : row) sum += std::exp(double(x) - max);
  const double lse = max + std::log(sum);
  const double nll = lse - double(row[size_t(target)]);
  if (keep_log_probs)
    for (float& x : row) x = float(double(x) - lse);
  return nll;
}

void check(const Status& st) {
  if (!st.ok()) throw Error(st.code(), st.message());
}

}  // namespace

double ScoreResult::perplexity() const { return token_count ? std::exp(nll_total / double(token_count)) : 0.0; }

double ScoreResult::bits_per_byte(size_t text_bytes) const {
  return text_bytes ? nll_total / std::log(2.0) / double(text_bytes) : 0.0;
}

Result<ScoreResult> score_stream(Session& session, std::span<const int> stream, const ScoreOptions& options,
                                 const ScoredCallback& on_scored) {
  ScoreResult result;
  Status st = catch_status([&] {
    if (stream.size() < 2) fail("the text is {} token(s) long: scoring needs at least two", stream.size());
    if (options.ctx < 0) fail("window length {} is negative", options.ctx);
    const int ctx = options.ctx > 0 ? options.ctx : session.capacity();
    if (ctx > session.capacity())
      fail("window of {} tokens exceeds the session's capacity of {} (see --max-seq-len)", ctx, session.capacity());
    const int vocab = session.model().info().vocab_size;
    // The last target is never an input, so the session would not check it.
    for (size_t i = 0; i < stream.size(); ++i)
      if (stream[i] < 0 || stream[i] >= vocab)
        fail("token id {} at index {} is out of range (vocabulary size {})", stream[i], i, vocab);

    const size_t n = stream.size() - 1;
    const size_t width = static_cast<size_t>(ctx);
    const size_t v = static_cast<size_t>(vocab);
    result.token_count = n;
    result.windows = int((n + width - 1) / width);
    const size_t rows = piece_rows(ctx, v);
    std::vector<float> logits(rows * v);

    for (int w = 0; w < result.windows; ++w) {
      const size_t begin = size_t(w) * width, end = std::min(begin + width, n);
      session.rewind(0);
      for (size_t p = begin; p < end; p += rows) {
        const size_t count = std::min(rows, end - p);
        const std::span<float> out(logits.data(), count * v);
        check(session.prefill_all(stream.subspan(p, count), out));
        const std::span<const int> targets = stream.subspan(p + 1, count);
        double nll = 0;
        for (size_t i = 0; i < count; ++i) nll += score_row(out.subspan(i * v, v), targets[i], options.log_probs);
        result.nll_total += nll;
        if (on_scored)
          check(on_scored({.window = w,
                           .windows = result.windows,
                           .first = p,
                           .total = n,
                           .targets = targets,
                           .nll = nll,
                           .log_probs = options.log_probs ? std::span<const float>(out) : std::span<const float>()}));
      }
    }
  });
  if (!st.ok()) return st;
  return result;
}

}  // namespace llamafast
