// Fuzzes the .llf reader: any bytes must give tensors inside the buffer or an
// Error, never a crash or an out-of-bounds read. The header checksum would
// reject nearly every mutation before the table is parsed, so the target
// recomputes it first: the fuzzer then explores the parser behind it.
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "io/llf_format.h"
#include "model/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A heap copy of exactly `size` bytes so ASan sees any read past the end.
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size);
  namespace llf = llamafast::llf;
  if (size >= sizeof(llf::Header)) {
    llf::Header h;
    std::memcpy(&h, bytes.data(), sizeof h);
    if (h.metadata_offset <= size && h.metadata_size <= size - h.metadata_offset) {
      const std::string_view metadata(reinterpret_cast<const char*>(bytes.data()) + h.metadata_offset,
                                      size_t(h.metadata_size));
      h.header_checksum = llf::header_checksum(h, metadata);
      std::memcpy(bytes.data(), &h, sizeof h);
    }
  }
  try {
    const auto ck = llamafast::parse_llf(bytes, "fuzz.llf");
    const std::byte* end = bytes.data() + bytes.size();
    for (const auto& [name, t] : ck->tensors) {
      const auto* p = static_cast<const std::byte*>(t.data);
      if (p < bytes.data() || p > end) __builtin_trap();
      if (t.quant.scales) {
        const auto* s = static_cast<const std::byte*>(t.quant.scales);
        if (s < bytes.data() || s > end) __builtin_trap();
      }
    }
  } catch (const llamafast::Error&) {
  }
  return 0;
}
