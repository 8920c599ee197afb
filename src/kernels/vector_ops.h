// row_to_f32, dot and axpy for every SIMD table. See simd_common.h for how and
// where to include it.
#pragma once

#include "kernels/kernels.h"
#include "kernels/simd_common.h"
#include "kernels/simd_types.h"

namespace llamafast::kernels {
namespace {

template <class Isa, class Src>
void widen(const Src* src, float* dst, int n) {
  constexpr int L = Isa::kLanes;
  int i = 0;
  for (; i + L <= n; i += L) Isa::store(dst + i, Isa::load(src + i));
  if (i < n) Isa::store_tail(dst + i, Isa::load_tail(src + i, n - i), n - i);
}

template <class Isa>
void row_to_f32(DType dtype, const void* src, float* dst, int n) {
  switch (dtype) {
    case DType::f32: return widen<Isa>(static_cast<const float*>(src), dst, n);
    case DType::f16: return widen<Isa>(static_cast<const F16*>(src), dst, n);
    case DType::bf16: return widen<Isa>(static_cast<const BF16*>(src), dst, n);
    case DType::q8:
    case DType::q4: return;  // float types only (kernels.h); weight_row_to_f32 has these
  }
}

template <class Isa>
float dot(const float* a, const float* b, int n) {
  constexpr int L = Isa::kLanes;
  // Four independent sums so consecutive FMAs do not wait on each other.
  auto s0 = Isa::zero(), s1 = Isa::zero(), s2 = Isa::zero(), s3 = Isa::zero();
  int i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    s0 = Isa::fma(Isa::load(a + i), Isa::load(b + i), s0);
    s1 = Isa::fma(Isa::load(a + i + L), Isa::load(b + i + L), s1);
    s2 = Isa::fma(Isa::load(a + i + 2 * L), Isa::load(b + i + 2 * L), s2);
    s3 = Isa::fma(Isa::load(a + i + 3 * L), Isa::load(b + i + 3 * L), s3);
  }
  for (; i + L <= n; i += L) s0 = Isa::fma(Isa::load(a + i), Isa::load(b + i), s0);
  if (i < n) s1 = Isa::fma(Isa::load_tail(a + i, n - i), Isa::load_tail(b + i, n - i), s1);
  return Isa::hsum(Isa::add(Isa::add(s0, s1), Isa::add(s2, s3)));
}

template <class Isa>
void axpy(float alpha, const float* x, float* y, int n) {
  constexpr int L = Isa::kLanes;
  const auto a = Isa::set1(alpha);
  int i = 0;
  for (; i + L <= n; i += L) Isa::store(y + i, Isa::fma(a, Isa::load(x + i), Isa::load(y + i)));
  if (i < n) {
    const int k = n - i;
    Isa::store_tail(y + i, Isa::fma(a, Isa::load_tail(x + i, k), Isa::load_tail(y + i, k)), k);
  }
}

}  // namespace
}  // namespace llamafast::kernels
