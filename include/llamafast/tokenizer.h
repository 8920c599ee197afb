// Text <-> token ids. One interface for every tokenizer format llamafast reads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llamafast/status.h"

namespace llamafast {

// Bytes [begin, end) of a text.
struct TextSpan {
  size_t begin = 0;
  size_t end = 0;
};

struct EncodeOptions {
  bool add_bos = true;        // prepend the BOS id (when the tokenizer has one)
  bool parse_special = false; // turn special-token text such as "<|eot_id|>" into its id
  // With parse_special: spans (sorted, not overlapping) where special-token
  // text stays plain text, as without parse_special. A chat prompt passes its
  // messages' content here, so text a user types can never become a control
  // id while the template's own markup does. A special token that overlaps a
  // span is not parsed.
  std::vector<TextSpan> plain_spans{};
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  virtual std::vector<int> encode(std::string_view text, const EncodeOptions& options = {}) const = 0;

  // The bytes token `id` contributes to the text when it follows `prev` (-1 at the
  // start): SentencePiece-style tokenizers drop the dummy-prefix space after BOS.
  // Byte-fallback pieces yield their raw byte, so a character may span several
  // tokens: use Utf8Stream (generate) to print only complete characters.
  virtual std::string decode(int prev, int id) const = 0;

  // The whole text of a token sequence.
  std::string decode_all(const std::vector<int>& ids) const {
    std::string out;
    int prev = -1;
    for (int id : ids) {
      out += decode(prev, id);
      prev = id;
    }
    return out;
  }

  // The piece as stored in the vocabulary (for --pieces and debugging).
  virtual std::string piece(int id) const = 0;

  virtual int vocab_size() const = 0;
  virtual int bos_id() const = 0;                 // -1 when there is none
  virtual std::vector<int> eos_ids() const = 0;   // tokens that end generation
  virtual bool is_control(int id) const = 0;      // BOS/EOS/special: not printed
};

// Opens a tokenizer file, detecting its format from the content: llama2.c
// tokenizer.bin, SentencePiece tokenizer.model, tiktoken tokenizer.model, or a
// Hugging Face tokenizer.json. A directory is searched for those names.
Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::string& path);

}  // namespace llamafast
