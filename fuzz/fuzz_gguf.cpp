// Fuzzes the GGUF parser and what is built on it (checkpoint reader, tokenizer
// from metadata): any bytes must give tensors inside the buffer or an Error,
// never a crash, a hang or an out-of-bounds read.
#include <cstdint>
#include <vector>

#include "common/error.h"
#include "io/gguf.h"
#include "model/checkpoint.h"
#include "tokenizer/gguf_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A heap copy of exactly `size` bytes so ASan sees any read past the end.
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size);
  const std::byte* end = bytes.data() + bytes.size();
  try {
    const llamafast::GgufFile g = llamafast::parse_gguf(bytes, "fuzz.gguf");
    for (const auto& t : g.tensors)
      if (t.nbytes && (t.data < bytes.data() || t.data + t.nbytes > end)) __builtin_trap();
  } catch (const llamafast::Error&) {
  }
  try {
    const auto ck = llamafast::parse_gguf_checkpoint(bytes, "fuzz.gguf");
    for (const auto& [name, t] : ck->tensors) {
      const auto* p = static_cast<const std::byte*>(t.quant.scales ? t.quant.scales : t.data);
      if (t.nbytes && (p < bytes.data() || p + t.nbytes > end)) __builtin_trap();
    }
  } catch (const llamafast::Error&) {
  }
  try {
    const auto tok = llamafast::gguf_tokenizer(llamafast::parse_gguf(bytes, "fuzz.gguf", true));
    tok->encode("Hello world");
  } catch (const llamafast::Error&) {
  }
  return 0;
}
