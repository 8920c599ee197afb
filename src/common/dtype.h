// Number formats of stored tensors. The float types are plain arrays; the
// quantized ones (q8, q4) are symmetric integers with scales whose layout a
// kernels::QuantLayout describes (see kernels/kernels.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace llamafast {

enum class DType : uint8_t { f32, f16, bf16, q8, q4 };

constexpr bool is_quantized(DType t) { return t == DType::q8 || t == DType::q4; }

// Bytes per element of a float type; 0 for the quantized ones, whose size
// depends on their layout.
constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::q8: return 0;
    case DType::q4: return 0;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::q8: return "q8";
    case DType::q4: return "q4";
  }
  return "?";
}

}  // namespace llamafast
