// Element types the SIMD kernels overload their loads on. f16 and bf16 are both
// 16-bit patterns, so each gets its own tag type to pick the right widening.
#pragma once

#include <cstdint>

namespace llamafast::kernels {

struct F16 {
  uint16_t bits;  // IEEE 754 binary16
};
struct BF16 {
  uint16_t bits;  // upper half of an IEEE 754 binary32
};
static_assert(sizeof(F16) == 2 && sizeof(BF16) == 2, "tags must match the stored layout");

}  // namespace llamafast::kernels
