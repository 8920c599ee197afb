// Llama 3 tokenizer: loading each file format and encoding ~1 MB of English
// (bytes/s), with Meta's tiktoken tokenizer.model and Hugging Face's
// tokenizer.json. Needs ../shared (set LLAMAFAST_SHARED to move it); skips otherwise.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/tiktoken_tokenizer.h"

namespace llamafast {
namespace {

namespace fs = std::filesystem;

// ----------------------------------------------------------------- BM_Llama3*

fs::path llama3_dir() {
  fs::path shared;
  if (const char* env = std::getenv("LLAMAFAST_SHARED"); env && *env) {
    shared = env;
  } else {
#ifdef LLAMAFAST_SHARED_DIR
    shared = LLAMAFAST_SHARED_DIR;
#else
    shared = fs::absolute(__FILE__).parent_path().parent_path().parent_path() / "shared";
#endif
  }
  return shared / "tokenizers" / "llama3";
}

// 1 MiB of English prose: the GPL-3 text (as the Llama 2 benchmark uses) repeated,
// else a fixed paragraph repeated.
const std::string& llama3_english_text() {
  static const std::string text = [] {
    std::string unit;
    if (std::ifstream in("/usr/share/common-licenses/GPL-3"); in)
      unit.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (unit.empty())
      unit =
          "The tokenizer splits text into pieces before the model ever sees it. Each piece is a word, a "
          "number of up to three digits, a run of punctuation or of white space; then byte pairs merge "
          "by rank until no merge is left. In 2024, Meta's Llama 3 shipped 128,000 ranks and 256 "
          "special tokens, so a sentence like this one costs about one token per word.\n\n";
    std::string out;
    while (out.size() < (1u << 20)) out += unit;
    out.resize(1u << 20);
    return out;
  }();
  return text;
}

template <class Tok>
void encode_benchmark(benchmark::State& state, const char* file) {
  const fs::path path = llama3_dir() / file;
  if (!fs::exists(path)) {
    state.SkipWithError(("no " + path.string() + ": set LLAMAFAST_SHARED to the shared/ folder").c_str());
    return;
  }
  const auto tok = Tok::load(path.string());
  const std::string& text = llama3_english_text();
  size_t tokens = 0;
  for (auto _ : state) {
    const auto ids = tok->encode(text, {.add_bos = false, .parse_special = false});
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
  state.counters["tokens"] = double(tokens);
}

template <class Tok>
void load_benchmark(benchmark::State& state, const char* file) {
  const fs::path path = llama3_dir() / file;
  if (!fs::exists(path)) {
    state.SkipWithError(("no " + path.string() + ": set LLAMAFAST_SHARED to the shared/ folder").c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(Tok::load(path.string()));
}

void BM_Llama3TiktokenEncode1MB(benchmark::State& state) {
  encode_benchmark<TiktokenTokenizer>(state, "tokenizer.model");
}
void BM_Llama3JsonEncode1MB(benchmark::State& state) { encode_benchmark<HfTokenizer>(state, "tokenizer.json"); }
void BM_Llama3TiktokenLoad(benchmark::State& state) { load_benchmark<TiktokenTokenizer>(state, "tokenizer.model"); }
void BM_Llama3JsonLoad(benchmark::State& state) { load_benchmark<HfTokenizer>(state, "tokenizer.json"); }

BENCHMARK(BM_Llama3TiktokenEncode1MB)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Llama3JsonEncode1MB)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Llama3TiktokenLoad)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Llama3JsonLoad)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace llamafast
