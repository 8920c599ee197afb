// Fuzzes the zip container reader: any bytes must give entries whose data lies
// inside the buffer, or an Error; never a crash or an out-of-bounds read.
#include <cstdint>
#include <vector>

#include "common/error.h"
#include "io/zip_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A heap copy of exactly `size` bytes so ASan sees any read past the end.
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size);
  try {
    const llamafast::ZipArchive zip = llamafast::read_zip(bytes, "fuzz.zip");
    for (const auto& [name, entry] : zip.entries) {
      if (entry.size() && (entry.data() < bytes.data() || entry.data() + entry.size() > bytes.data() + bytes.size()))
        __builtin_trap();
    }
  } catch (const llamafast::Error&) {
  }
  return 0;
}
