// A tokenizer as the bytes of the files it is made from. load_tokenizer reads
// these from disk; an exported .llf carries them, so the tokenizer it rebuilds
// is the very one the source model had (same parser, same bytes).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "llamafast/tokenizer.h"

namespace llamafast {

struct TokenizerFiles {
  // "hf" (tokenizer.json), "tiktoken", "sentencepiece", "llama2c" or "gguf"
  // (a vocab-only GGUF: the model file's metadata): which parser reads `files.at(main)`.
  std::string kind;
  std::string main;  // file name of the vocabulary: tokenizer.json, tokenizer.model, ...
  // File name -> content: the vocabulary plus, when present beside it,
  // tokenizer_config.json (BOS/EOS, chat template) and generation_config.json.
  std::map<std::string, std::string> files;

  // Content of `name`, empty when absent.
  std::string_view file(const std::string& name) const;
};

// Finds the tokenizer at `path` (a file, or a directory holding tokenizer.json,
// tokenizer.model or tokenizer.bin), tells its kind from the content, and reads
// it with its companion files. Throws Error naming the path.
TokenizerFiles read_tokenizer_files(const std::string& path);

// Builds the tokenizer; `name` prefixes error messages. Throws Error.
std::unique_ptr<Tokenizer> tokenizer_from_files(const TokenizerFiles& files, std::string_view name);

}  // namespace llamafast
