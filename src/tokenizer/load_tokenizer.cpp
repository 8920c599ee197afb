// Picks the tokenizer implementation from a file's content (not its name).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "llamafast/tokenizer.h"
#include "tokenizer/gguf_tokenizer.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/llama2c_tokenizer.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "tokenizer/tiktoken_tokenizer.h"
#include "tokenizer/tokenizer_files.h"

namespace llamafast {

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open", path.string());
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) fail("{}: read error", path.string());
  return std::move(out).str();
}

std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

std::string_view TokenizerFiles::file(const std::string& name) const {
  auto it = files.find(name);
  return it == files.end() ? std::string_view{} : std::string_view(it->second);
}

TokenizerFiles read_tokenizer_files(const std::string& path) {
  fs::path file = path;
  if (fs::is_directory(path)) {
    file.clear();
    for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer.bin"}) {
      if (fs::exists(fs::path(path) / name)) {
        file = fs::path(path) / name;
        break;
      }
    }
    if (file.empty()) fail("{}: no tokenizer.json, tokenizer.model or tokenizer.bin in this directory", path);
  }
  TokenizerFiles t;
  t.main = file.filename().string();
  if (std::ifstream in(file, std::ios::binary); in) {
    char magic[4] = {};
    if (in.read(magic, 4) && std::string_view(magic, 4) == "GGUF") {
      t.kind = "gguf";
      t.files[t.main] = gguf_vocabulary(file.string());  // the metadata, not the weights
      return t;
    }
  }
  const std::string& content = t.files[t.main] = read_file(file);
  const std::string_view head = std::string_view(content).substr(0, 1024);
  if (HfTokenizer::sniff(head)) {
    t.kind = "hf";
  } else if (TiktokenTokenizer::sniff(head)) {
    t.kind = "tiktoken";
  } else if (looks_like_sentencepiece_model(as_bytes(content))) {
    t.kind = "sentencepiece";
  } else {
    t.kind = "llama2c";
  }
  for (const char* companion : {"tokenizer_config.json", "generation_config.json"}) {
    const fs::path p = file.parent_path() / companion;
    if (fs::exists(p)) t.files[companion] = read_file(p);
  }
  return t;
}

std::unique_ptr<Tokenizer> tokenizer_from_files(const TokenizerFiles& t, std::string_view name) {
  const std::string_view main = t.file(t.main);
  if (t.kind == "hf")
    return HfTokenizer::parse(main, t.file("tokenizer_config.json"), t.file("generation_config.json"), name);
  if (t.kind == "tiktoken") return TiktokenTokenizer::parse(main, name);
  if (t.kind == "sentencepiece") return SentencePieceTokenizer::from_bytes(as_bytes(main), name);
  if (t.kind == "gguf") return gguf_tokenizer(parse_gguf(as_bytes(main), std::string(name), /*metadata_only=*/true));
  if (t.kind == "llama2c") return Llama2cTokenizer::parse(as_bytes(main), std::string(name));
  fail("{}: unknown tokenizer kind '{}'", name, t.kind);
}

Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::string& path) {
  std::unique_ptr<Tokenizer> tok;
  Status st = catch_status([&] { tok = tokenizer_from_files(read_tokenizer_files(path), path); });
  if (!st.ok()) return st;
  return tok;
}

}  // namespace llamafast
