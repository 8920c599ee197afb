// Picks the tokenizer implementation from a file's content (not its name).
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "llamafast/tokenizer.h"
#include "tokenizer/gguf_tokenizer.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/llama2c_tokenizer.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "tokenizer/tiktoken_tokenizer.h"

namespace llamafast {

namespace fs = std::filesystem;

namespace {

// The first bytes of a file ("" when it cannot be read), for telling text formats apart.
std::string file_head(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(head.data(), std::streamsize(n));
  head.resize(size_t(in.gcount()));
  return head;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::string& path) {
  std::unique_ptr<Tokenizer> tok;
  Status st = catch_status([&] {
    std::string file = path;
    if (fs::is_directory(path)) {
      for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer.bin"}) {
        if (fs::exists(fs::path(path) / name)) {
          file = (fs::path(path) / name).string();
          break;
        }
      }
      if (file == path) fail("{}: no tokenizer.json, tokenizer.model or tokenizer.bin in this directory", path);
    }
    const std::string head = file_head(file, 1024);
    if (head.starts_with("GGUF")) {
      tok = load_gguf_tokenizer(file);
    } else if (HfTokenizer::sniff(head)) {
      tok = HfTokenizer::load(file);
    } else if (TiktokenTokenizer::sniff(head)) {
      tok = TiktokenTokenizer::load(file);
    } else if (looks_like_sentencepiece_model(file)) {
      tok = SentencePieceTokenizer::load(file);
    } else {
      tok = Llama2cTokenizer::load(file);
    }
  });
  if (!st.ok()) return st;
  return tok;
}

}  // namespace llamafast
