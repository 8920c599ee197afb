// Fuzzes the safetensors header parser: any bytes must give tensors inside the
// buffer or an Error, never a crash or an out-of-bounds read.
#include <cstdint>
#include <vector>

#include "common/error.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A heap copy of exactly `size` bytes so ASan sees any read past the end.
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size);
  try {
    for (const auto& [name, t] : llamafast::parse_safetensors(bytes, "fuzz.safetensors")) {
      const auto* p = static_cast<const std::byte*>(t.data);
      if (t.nbytes && (p < bytes.data() || p + t.nbytes > bytes.data() + bytes.size())) __builtin_trap();
    }
  } catch (const llamafast::Error&) {
  }
  return 0;
}
