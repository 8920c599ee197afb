// llamafast perplexity: score a text file in non-overlapping windows (lm-eval's
// wikitext convention, see include/llamafast/perplexity.h) and print perplexity
// and bits per byte; with --kl-base, save a base model's log-probabilities or
// compare this model with them (KL divergence, top-1 agreement, delta perplexity).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "llamafast/kl_divergence.h"
#include "llamafast/log_prob_file.h"
#include "llamafast/perplexity.h"
#include "model_options.h"
#include "progress_bar.h"

namespace llamafast::cli {

namespace {

struct PerplexityOptions {
  ModelOptions model;
  std::string text_file;
  int ctx = 0;
  std::string kl_base;
  bool json = false;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) throw ExitError{2, fmt::format("{}: cannot read the text file", path)};
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw ExitError{2, fmt::format("{}: read failed", path)};
  return text;
}

// The --kl-base side of a run: the first run writes the rows, later runs read
// and compare them; exactly one of writer / reader is set.
struct KlBase {
  std::string path;
  std::unique_ptr<LogProbWriter> writer;
  std::unique_ptr<LogProbReader> reader;
  KlAccumulator kl;
  std::vector<float> base_rows;

  Status on_scored(const ScoredTokens& piece, size_t vocab) {
    if (writer) return writer->append(piece.log_probs);
    base_rows.resize(piece.log_probs.size());
    if (Status st = reader->read(piece.first, base_rows); !st.ok()) return st;
    kl.add(base_rows, piece.log_probs, vocab);
    return {};
  }
};

std::optional<KlBase> open_kl_base(const std::string& path, const LogProbHeader& expected) {
  if (path.empty()) return std::nullopt;
  KlBase base;
  base.path = path;
  if (std::filesystem::exists(path)) {
    base.reader = check(LogProbReader::open(path));
    check(base.reader->check_matches(expected));
  } else {
    base.writer = check(LogProbWriter::create(path, expected));
  }
  return base;
}

void run_perplexity(const PerplexityOptions& o) {
  const std::string text = read_text(o.text_file);
  auto model = o.model.load(true);
  const std::vector<int> stream = model->tokenizer()->encode(text, {.add_bos = true});
  if (stream.size() < 2) throw ExitError{2, fmt::format("{}: no tokens to score (the text is empty)", o.text_file)};
  ModelOptions sized = o.model;
  if (sized.max_seq_len == 0 && o.ctx > 0) sized.max_seq_len = o.ctx;  // a cache no longer than a window
  auto session = sized.session(model);
  const int ctx = o.ctx > 0 ? o.ctx : std::min(model->info().context_length, session->capacity());
  const size_t vocab = size_t(model->info().vocab_size);

  std::optional<KlBase> base = open_kl_base(
      o.kl_base, {.vocab = int(vocab), .token_count = stream.size() - 1, .ctx = ctx, .token_hash = hash_tokens(stream)});

  ProgressBar progress("tok");
  const auto t0 = std::chrono::steady_clock::now();
  const ScoreResult r = check(score_stream(*session, stream, {.ctx = ctx, .log_probs = base.has_value()},
                                           [&](const ScoredTokens& piece) {
                                             progress.update(piece.first + piece.targets.size(), piece.total);
                                             return base ? base->on_scored(piece, vocab) : Status();
                                           }));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress.clear();
  if (base && base->writer) check(base->writer->commit(r.nll_total));

  const double ppl = r.perplexity(), bpb = r.bits_per_byte(text.size());
  nlohmann::json j = {{"perplexity", ppl},         {"bits_per_byte", bpb}, {"nll_total", r.nll_total},
                      {"token_count", r.token_count}, {"windows", r.windows}, {"ctx", ctx},
                      {"text_bytes", text.size()}, {"seconds", seconds}, {"tok_s", double(r.token_count) / seconds}};
  std::string kl_line;
  if (base && base->reader) {
    const KlSummary kl = base->kl.summary();
    const double base_ppl = std::exp(base->reader->header().nll_total / double(r.token_count));
    const double delta = ppl - base_ppl;
    j["kl"] = {{"base", base->path},       {"mean", kl.mean},         {"p99", kl.p99},
               {"max", kl.max},            {"top1_agreement", kl.top1_agreement},
               {"base_perplexity", base_ppl}, {"delta_perplexity", delta}, {"delta_perplexity_relative", delta / base_ppl}};
    kl_line = fmt::format("kl_mean {:.6g}  kl_p99 {:.6g}  kl_max {:.6g}  top1 {:.4f}%  base_perplexity {:.4f}  "
                          "delta_perplexity {:+.4f} ({:+.4f}%)\n",
                          kl.mean, kl.p99, kl.max, kl.top1_agreement * 100, base_ppl, delta, delta / base_ppl * 100);
  } else if (base) {
    j["kl_base_saved"] = base->path;
  }

  if (o.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("perplexity %.4f  bits/byte %.4f  tokens %zu  windows %d\n%s", ppl, bpb, r.token_count, r.windows,
                kl_line.c_str());
  }
  std::fflush(stdout);
  std::fprintf(stderr, "llamafast: scored %zu tokens in %d windows of %d in %.2f s (%.0f tok/s), kernels %s, %d threads, "
               "peak RSS %.1f MiB\n",
               r.token_count, r.windows, ctx, seconds, double(r.token_count) / seconds, session->isa().c_str(),
               session->threads(), peak_rss_bytes() / 1048576.0);
  if (base && base->writer)
    std::fprintf(stderr, "llamafast: saved the base log-probabilities to %s (%.1f MiB); run again with --kl-base %s "
                 "to compare another model with them\n",
                 base->path.c_str(), double(r.token_count * vocab * sizeof(float)) / 1048576.0, base->path.c_str());
}

}  // namespace

void add_perplexity_command(CLI::App& app) {
  auto o = std::make_shared<PerplexityOptions>();
  CLI::App* cmd = app.add_subcommand(
      "perplexity", "Score a text in non-overlapping windows (lm-eval wikitext convention): perplexity, bits per byte");
  o->model.add(*cmd);
  cmd->add_option("-f,--file", o->text_file, "Text file to score (UTF-8, used as is)")->required();
  cmd->add_option("-c,--ctx", o->ctx, "Window length in tokens (default: the model's context, capped by the cache)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-b,--batch", o->model.max_batch, "Tokens per prefill pass")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--kl-base", o->kl_base,
                  "Base log-probabilities file: written when absent (run the base model first), otherwise compared "
                  "with: KL divergence, top-1 agreement, delta perplexity");
  cmd->add_flag("--json", o->json, "Print the results as JSON");
  cmd->callback([o] { run_perplexity(*o); });
}

}  // namespace llamafast::cli
