// Fuzzes the llama2.c checkpoint parser and the weight binding that follows it.
#include <cstdint>
#include <vector>

#include "common/error.h"
#include "model/checkpoint.h"
#include "model/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size);
  try {
    auto ck = llamafast::parse_llama2c(bytes, "fuzz.bin");
    llamafast::bind_weights(*ck);
  } catch (const llamafast::Error&) {
  }
  return 0;
}
