// libFuzzer target: the tiktoken rank-file parser, then encoding with whatever it
// accepted. Every rank file that loads has all 256 bytes, so decode(encode(s))
// must give s back for any s: a mismatch is a bug, reported by abort().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "tokenizer/tiktoken_tokenizer.h"

using namespace llamafast;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  // The Llama 3 entry point (it wants exactly 128,000 ranks, so this mostly
  // exercises the line parser and its error paths).
  (void)catch_status([&] { TiktokenTokenizer::parse(content, "fuzz.model"); });

  static const TiktokenSpec spec{
      R"('s|\p{L}+| ?\p{N}{1,3}|\s+(?!\S)|\s+|[^\s\p{L}\p{N}]+)", {"<|a|>", "<|bb|>"}, "<|a|>", {"<|bb|>"}};
  std::unique_ptr<TiktokenTokenizer> tok;
  if (!catch_status([&] { tok = TiktokenTokenizer::parse(content, "fuzz.model", spec); }).ok()) return 0;
  const std::string_view text = content.substr(0, 4096);
  for (bool special : {false, true}) {
    const auto ids = tok->encode(text, {.add_bos = false, .parse_special = special});
    for (int id : ids)
      if (id < 0 || id >= tok->vocab_size()) std::abort();
    if (tok->decode_all(ids) != text) std::abort();
  }
  return 0;
}
