// libFuzzer target: any bytes as a SentencePiece tokenizer.model. Parsing must
// either succeed or fail with llamafast::Error (bad input); a model that loads
// must encode and decode without crashing and produce only valid ids.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "common/error.h"
#include "tokenizer/sentencepiece_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace llamafast;
  std::unique_ptr<SentencePieceTokenizer> tok;
  try {
    tok = SentencePieceTokenizer::from_bytes(std::as_bytes(std::span(data, size)), "fuzz.model");
  } catch (const Error& e) {
    if (e.code() != StatusCode::invalid_input) std::abort();  // an internal error on bad input is a bug
    return 0;
  }
  static const char* const texts[] = {"", " ", "Hello  world\n", "<s>a</s>b<unk>", "\xE6\x97\xA5\xF0\x9F\xA6\x99 x",
                                      "\xff\xc3("};
  for (const char* text : texts) {
    for (bool special : {false, true}) {
      const auto ids = tok->encode(text, {.add_bos = true, .parse_special = special});
      for (int id : ids)
        if (id < 0 || id >= tok->vocab_size()) std::abort();
      (void)tok->decode_all(ids);
    }
  }
  return 0;
}
