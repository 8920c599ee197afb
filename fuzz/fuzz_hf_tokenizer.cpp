// libFuzzer target: the Hugging Face tokenizer.json parser, then encoding and
// decoding with whatever it accepted. Any crash, sanitizer report or exception
// escaping encode/decode is a bug; every id encode returns must be in range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "tokenizer/hf_tokenizer.h"

using namespace llamafast;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<HfTokenizer> tok;
  if (!catch_status([&] { tok = HfTokenizer::parse(content, "", "", "fuzz.json"); }).ok()) return 0;
  for (std::string_view text :
       {std::string_view("Hello, world! 123  \n\t<s> \xE2\x96\x81x \xff"), content.substr(0, 2048)}) {
    for (bool special : {false, true}) {
      const auto ids = tok->encode(text, {.add_bos = true, .parse_special = special});
      for (int id : ids)
        if (id < 0 || id >= tok->vocab_size()) std::abort();
      (void)tok->decode_all(ids);
    }
  }
  return 0;
}
