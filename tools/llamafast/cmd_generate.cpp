// llamafast generate: prompt in, continuation out (stdout), stats on stderr.
#include <cstdio>

#include <fmt/format.h>

#include "commands.h"
#include "llamafast/generate.h"
#include "model_options.h"
#include "sampling_options.h"

namespace llamafast::cli {

namespace {

struct GenerateOptions {
  ModelOptions model;
  std::string prompt;
  int max_new_tokens = 256;
  SamplingOptions sampling;
  std::vector<std::string> stop;
  bool no_bos = false;
  bool verbose = false;
};

void run_generate(const GenerateOptions& o) {
  auto model = o.model.load(true);
  auto session = o.model.session(model);
  const SamplerParams sp = o.sampling.resolved(model->info());
  Sampler sampler(sp);

  GenerationConfig config;
  config.max_new_tokens = o.max_new_tokens;
  config.stop = o.stop;
  config.encode.add_bos = !o.no_bos;
  if (o.verbose)
    std::fprintf(stderr, "llamafast: %s model, %d layers, dim %d, vocab %d, %s weights, kernels %s, %d threads, seed %llu\n",
                 model->info().format.c_str(), model->info().n_layers, model->info().dim, model->info().vocab_size,
                 model->info().weight_dtype.c_str(), session->isa().c_str(), session->threads(),
                 static_cast<unsigned long long>(sp.seed));
  if (o.verbose)
    for (const std::string& note : model->info().config_notes) std::fprintf(stderr, "llamafast: %s\n", note.c_str());

  auto stats = check(generate(*session, *model->tokenizer(), sampler, o.prompt, config, [](std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  }));
  std::fputc('\n', stdout);
  std::fflush(stdout);
  std::fprintf(stderr,
               "llamafast: prompt %d tokens, generated %d tokens, time to first token %.1f ms, prefill %.1f tok/s, "
               "decode %.1f tok/s, peak RSS %.1f MiB, stop: %s\n",
               stats.prompt_tokens, stats.generated_tokens, stats.prefill_ms, stats.prefill_tok_s(),
               stats.decode_tok_s(), peak_rss_bytes() / 1048576.0, stats.stop_reason.c_str());
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate a continuation of a prompt (written to stdout)");
  o->model.add(*cmd);
  cmd->add_option("-p,--prompt", o->prompt, "Prompt text")->required();
  cmd->add_option("-n,--max-new-tokens", o->max_new_tokens, "Most tokens to generate")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  o->sampling.add(*cmd);
  cmd->add_option("--stop", o->stop, "Stop when the output contains this string (repeatable)");
  cmd->add_flag("--no-bos", o->no_bos, "Do not prepend the BOS token to the prompt");
  cmd->add_flag("-v,--verbose", o->verbose, "Describe the model and run settings on stderr");
  cmd->callback([o] { run_generate(*o); });
}

}  // namespace llamafast::cli
