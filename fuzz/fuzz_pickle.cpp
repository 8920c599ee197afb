// Fuzzes the pickle reader and the state-dict interpretation on top of it: any
// bytes must give tensors inside their storage, or an Error; never a crash, an
// out-of-bounds read or a hang (memo cycles included). Every storage key maps to
// the same 256-byte buffer, so seeds use 64 float32 or 128 16-bit elements.
#include <cstdint>
#include <vector>

#include "common/error.h"
#include "io/pickle_reader.h"
#include "io/pth_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size);
  static const std::vector<std::byte> storage(256, std::byte{0x3c});
  const std::span<const std::byte> storage_span(storage);
  try {
    const llamafast::Pickle pickle = llamafast::read_pickle(bytes, llamafast::torch_pickle_globals(), "fuzz.pkl");
    const auto tensors = llamafast::state_dict_from_pickle(
        pickle, [&](std::string_view) { return &storage_span; }, "fuzz.pkl");
    for (const auto& [name, t] : tensors) {
      // Gather every element the view reaches into a row-major copy (ASan checks the reads).
      const size_t elem = llamafast::torch_dtype_size(t.dtype);
      std::vector<std::byte> copy(t.nbytes());
      llamafast::copy_strided(copy.data(), llamafast::row_major_strides(t.shape), t.data(), t.stride, t.shape, elem);
    }
  } catch (const llamafast::Error&) {
  }
  return 0;
}
