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

// The tokenizer described by parsed metadata; errors name g.file.
std::unique_ptr<Tokenizer> gguf_tokenizer(const GgufFile& g);

// The vocabulary of the GGUF file at `path` as a vocab-only GGUF: its header and
// metadata with a tensor count of 0, without reading the weights. This is what
// TokenizerFiles keeps (and a .llf export embeds) for a GGUF model.
std::string gguf_vocabulary(const std::string& path);

}  // namespace llamafast
