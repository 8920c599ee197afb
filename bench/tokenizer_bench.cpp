// Tokenizer throughput: encoding ~1 MB of English text with the Llama 2
// SentencePiece tokenizer.model and the llama2.c tokenizer.bin (bytes/s).
// Needs ../shared (set LLAMAFAST_SHARED to move it); skips otherwise.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include <benchmark/benchmark.h>

#include "llamafast/tokenizer.h"
#include "tokenizer/llama2c_tokenizer.h"
#include "tokenizer/sentencepiece_tokenizer.h"

namespace llamafast {
namespace {

namespace fs = std::filesystem;

constexpr size_t kTextBytes = 1 << 20;

// $LLAMAFAST_SHARED, else ../shared beside the checkout this file was compiled from.
fs::path shared_dir() {
  if (const char* env = std::getenv("LLAMAFAST_SHARED"); env && *env) return env;
#ifdef LLAMAFAST_SHARED_DIR
  return LLAMAFAST_SHARED_DIR;
#else
  return fs::absolute(__FILE__).parent_path().parent_path().parent_path() / "shared";
#endif
}

// ~1 MB of English: the GPL-3 text repeated when the system has it, else
// deterministic sentences from a word list (same length either way).
const std::string& english_text() {
  static const std::string text = [] {
    std::string unit;
    if (std::ifstream in("/usr/share/common-licenses/GPL-3"); in)
      unit.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (unit.empty()) {
      static const char* const words[] = {"the", "model", "reads", "a", "token", "and", "writes", "its", "next",
                                          "word", "quickly", "because", "memory", "bandwidth", "limits", "decoding",
                                          "Llama", "prompt", "of", "text", "with", "numbers", "like", "42", "or",
                                          "3.14", "in", "it,", "then", "stops."};
      std::mt19937 rng(7);
      for (int i = 0; i < 20000; ++i) {
        unit += words[rng() % std::size(words)];
        unit += (rng() % 13 == 0) ? "\n" : " ";
      }
    }
    std::string out;
    while (out.size() < kTextBytes) out += unit;
    out.resize(kTextBytes);
    return out;
  }();
  return text;
}

template <class Load>
void encode_bench(benchmark::State& state, const char* relative, Load load, bool by_line) {
  const fs::path path = shared_dir() / relative;
  if (!fs::exists(path)) {
    state.SkipWithError(("shared test data not found: " + path.string()).c_str());
    return;
  }
  const auto tok = load(path.string());
  const std::string& text = english_text();
  size_t tokens = 0;
  for (auto _ : state) {
    tokens = 0;
    if (by_line) {
      for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        end = end == std::string::npos ? text.size() : end + 1;
        tokens += tok->encode(std::string_view(text).substr(pos, end - pos), {.add_bos = false}).size();
        pos = end;
      }
    } else {
      tokens = tok->encode(text, {.add_bos = false}).size();
    }
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
  state.counters["tokens"] = double(tokens);
}

const auto load_spm = [](const std::string& p) { return SentencePieceTokenizer::load(p); };
const auto load_llama2c = [](const std::string& p) { return Llama2cTokenizer::load(p); };

// SentencePiece treats the whole input as one sequence: one call on all 1 MB.
void BM_SpmEncode1MBWhole(benchmark::State& s) { encode_bench(s, "tokenizers/llama2/tokenizer.model", load_spm, false); }
// A line at a time, as a chat front end would send it (ids differ only in the dummy prefixes).
void BM_SpmEncode1MBByLine(benchmark::State& s) { encode_bench(s, "tokenizers/llama2/tokenizer.model", load_spm, true); }
void BM_Llama2cEncode1MBWhole(benchmark::State& s) {
  encode_bench(s, "tokenizers/llama2/tokenizer.bin", load_llama2c, false);
}

BENCHMARK(BM_SpmEncode1MBWhole)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SpmEncode1MBByLine)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Llama2cEncode1MBWhole)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace llamafast
