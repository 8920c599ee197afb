// The vocabulary a GGUF file carries in its tokenizer.ggml.* metadata, as a
// Tokenizer: `llama` becomes the SentencePiece BPE tokenizer (pieces, scores,
// types), `gpt2` byte-level BPE with merges (via HfTokenizer, with the
// pre-tokenizer that tokenizer.ggml.pre names). Special ids and add_bos_token
// come from the same metadata.
#pragma once

#include <memory>
#include <string>

#include "io/gguf.h"
#include "llamafast/tokenizer.h"

namespace llamafast {

// Reads only the metadata of the GGUF file at `path` (not its tensors).
std::unique_ptr<Tokenizer> load_gguf_tokenizer(const std::string& path);
// The same from parsed metadata; errors name g.file.
std::unique_ptr<Tokenizer> gguf_tokenizer(const GgufFile& g);

}  // namespace llamafast
