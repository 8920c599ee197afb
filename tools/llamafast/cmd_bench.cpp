// llamafast bench: prefill (pp) and decode (tg) speed of a model, with the
// decode roofline ratio against this machine's measured read bandwidth.
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "memory_bandwidth.h"
#include "model_options.h"

namespace llamafast::cli {

namespace {

struct BenchOptions {
  ModelOptions model;
  int prompt = 128;
  int generate = 64;
  int depth = 0;
  int repetitions = 5;
  bool json = false;
};

struct Summary {
  double mean = 0, stddev = 0;
};

Summary summarize(const std::vector<double>& v) {
  Summary s;
  if (v.empty()) return s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  double var = 0;
  for (double x : v) var += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(var / double(v.size() - 1)) : 0.0;
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void run_bench(const BenchOptions& o) {
  if (o.prompt < 1 && o.generate < 1) throw ExitError{2, "nothing to measure: -p and -n are both 0"};
  ModelOptions mo = o.model;
  if (mo.max_seq_len == 0) mo.max_seq_len = o.depth + std::max(o.prompt, 0) + std::max(o.generate, 0) + 1;
  // The bandwidth of a virtual machine varies with its neighbours: it is
  // measured before the model runs and after them, and the higher figure is
  // the roofline, so a dip in one measurement does not flatter the ratio. The
  // first runs in a child process (its buffer stays out of the peak RSS),
  // forked before this process starts any thread: a fork of a threaded process
  // can inherit a lock another thread held (it hung under ASan).
  const int threads = mo.threads > 0 ? mo.threads : int(std::thread::hardware_concurrency());
  const double bandwidth_before = measure_read_bandwidth_in_child(threads);
  auto model = mo.load(false);
  auto session = mo.session(model);
  const ModelInfo& info = model->info();

  // Token ids drawn once, the same for every repetition.
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> id(0, info.vocab_size - 1);
  std::vector<int> prompt(size_t(std::max(o.prompt, 0)));
  for (int& t : prompt) t = id(rng);
  std::vector<int> steps(size_t(std::max(o.generate, 0)));
  for (int& t : steps) t = id(rng);

  // Both tests start after `depth` cached positions (an empty context by
  // default, as llama-bench's pp and tg do; its -d likewise), written once:
  // rewinding keeps them.
  if (o.depth > 0) {
    std::vector<int> context(size_t(o.depth));
    for (int& t : context) t = id(rng);
    check(session->prefill(context).status());
  }
  auto run_pp = [&] {
    session->rewind(o.depth);
    const auto t0 = std::chrono::steady_clock::now();
    check(session->prefill(prompt).status());
    return double(prompt.size()) / seconds_since(t0);
  };
  auto run_tg = [&] {
    session->rewind(o.depth);
    const auto t0 = std::chrono::steady_clock::now();
    for (int t : steps) check(session->decode(t).status());
    return double(steps.size()) / seconds_since(t0);
  };

  // Warm-up: page in the weights and settle the threads.
  if (!prompt.empty()) run_pp();
  if (!steps.empty()) run_tg();
  std::vector<double> pp, tg;
  for (int r = 0; r < o.repetitions; ++r) {
    if (!prompt.empty()) pp.push_back(run_pp());
    if (!steps.empty()) tg.push_back(run_tg());
  }
  const Summary pps = summarize(pp), tgs = summarize(tg);

  // Decode reads every matrix once per token, plus the KV cache up to the
  // current position (on average the depth and half of the generated length).
  const double kv_per_token = double(session->kv_bytes_per_token());
  const double bytes_per_token =
      double(info.weight_bytes) + kv_per_token * (o.depth + std::max(o.generate - 1, 0) / 2.0);
  const size_t peak_rss = peak_rss_bytes();  // before the bandwidth test's 1 GiB buffer
  const double bandwidth = std::max(bandwidth_before, measure_read_bandwidth(session->threads()));
  const double roofline = bytes_per_token * tgs.mean / bandwidth;

  if (o.json) {
    nlohmann::json j = {
        {"model", info.source}, {"format", info.format}, {"weights", info.weight_dtype},
        {"isa", session->isa()}, {"weight_prefetch", Session::weight_prefetch()},
        {"threads", session->threads()}, {"n_prompt", o.prompt},
        {"n_gen", o.generate}, {"n_depth", o.depth}, {"repetitions", o.repetitions},
        {"kv_cache", kv_cache_type_name(session->kv_cache())},
        {"pp_tok_s", pps.mean}, {"pp_tok_s_stddev", pps.stddev},
        {"tg_tok_s", tgs.mean}, {"tg_tok_s_stddev", tgs.stddev},
        {"weight_bytes", info.weight_bytes}, {"bytes_per_token", bytes_per_token},
        {"read_bandwidth_bytes_s", bandwidth}, {"decode_roofline_ratio", roofline},
        {"peak_rss_bytes", peak_rss},
        {"kv_cache_bytes", kv_per_token * session->capacity()}};
    std::puts(j.dump(2).c_str());
    return;
  }
  fmt::print("model      {} ({}, {} weights, {:.1f} MiB of matrices)\n", info.source, info.format,
             info.weight_dtype, info.weight_bytes / 1048576.0);
  fmt::print("run        {} threads, kernels {} (weights prefetched {}), {} KV cache, {} repetitions after a warm-up\n",
             session->threads(), session->isa(), Session::weight_prefetch(), kv_cache_type_name(session->kv_cache()),
             o.repetitions);
  if (o.depth > 0) fmt::print("depth      {} positions in the KV cache before each test\n", o.depth);
  if (!pp.empty()) fmt::print("pp{:<8} {:10.2f} ± {:.2f} tok/s\n", o.prompt, pps.mean, pps.stddev);
  if (!tg.empty()) {
    fmt::print("tg{:<8} {:10.2f} ± {:.2f} tok/s\n", o.generate, tgs.mean, tgs.stddev);
    fmt::print("decode     {:.1f} MiB/token, {:.1f} GB/s of {:.1f} GB/s measured read bandwidth: {:.0f}% of roofline\n",
               bytes_per_token / 1048576.0, bytes_per_token * tgs.mean / 1e9, bandwidth / 1e9, roofline * 100);
  }
  fmt::print("peak RSS   {:.1f} MiB (model run, before the bandwidth test)\n", peak_rss / 1048576.0);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure prefill and decode speed and the decode roofline ratio");
  o->model.add(*cmd);
  cmd->add_option("-p,--n-prompt", o->prompt, "Prompt tokens for the prefill test (0: skip)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("-n,--n-gen", o->generate, "Tokens for the decode test (0: skip)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("-d,--depth", o->depth,
                  "Positions already in the KV cache when each test starts (long-context speed)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("-r,--repetitions", o->repetitions, "Measured repetitions")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_flag("--json", o->json, "Print the results as JSON");
  cmd->callback([o] { run_bench(*o); });
}

}  // namespace llamafast::cli
