// row_to_f32, dot_rows, weighted_rows, softmax and silu_mul for every SIMD table. See
// simd_common.h for how and where to include it.
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

// R rows' dot products with q at once, one accumulator per row (a row's sum
// takes the same steps whichever group of R it falls in).
template <class Isa, int R>
LLAMAFAST_ALWAYS_INLINE void dot_row_group(const float* q, const float* rows, size_t stride, int n,
                                           float scale, float* scores) {
  constexpr int L = Isa::kLanes;
  decltype(Isa::zero()) s[4] = {Isa::zero(), Isa::zero(), Isa::zero(), Isa::zero()};
  int i = 0;
  for (; i + L <= n; i += L) {
    const auto qv = Isa::load(q + i);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) s[r] = Isa::fma(qv, Isa::load(rows + r * stride + i), s[r]);
  }
  if (i < n) {
    const auto qv = Isa::load_tail(q + i, n - i);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
      s[r] = Isa::fma(qv, Isa::load_tail(rows + r * stride + i, n - i), s[r]);
  }
  float sums[4];
  Isa::hsum4(s[0], s[R > 1 ? 1 : 0], s[R > 2 ? 2 : 0], s[R > 3 ? 3 : 0], sums);
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) scores[r] = sums[r] * scale;
}

template <class Isa>
void dot_rows(const float* q, const float* rows, size_t stride, int n_rows, int n, float scale,
              float* scores) {
  int j = 0;
  for (; j + 4 <= n_rows; j += 4)
    dot_row_group<Isa, 4>(q, rows + j * stride, stride, n, scale, scores + j);
  for (; j < n_rows; ++j) dot_row_group<Isa, 1>(q, rows + j * stride, stride, n, scale, scores + j);
}

// Columns in blocks of 4 vectors, kept in registers while every row adds in.
template <class Isa>
void weighted_rows(const float* p, const float* rows, size_t stride, int n_rows, int n,
                   float* out) {
  constexpr int L = Isa::kLanes;
  int i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    auto a0 = Isa::zero(), a1 = Isa::zero(), a2 = Isa::zero(), a3 = Isa::zero();
    for (int j = 0; j < n_rows; ++j) {
      const auto w = Isa::set1(p[j]);
      const float* r = rows + j * stride + i;
      a0 = Isa::fma(w, Isa::load(r), a0);
      a1 = Isa::fma(w, Isa::load(r + L), a1);
      a2 = Isa::fma(w, Isa::load(r + 2 * L), a2);
      a3 = Isa::fma(w, Isa::load(r + 3 * L), a3);
    }
    Isa::store(out + i, a0);
    Isa::store(out + i + L, a1);
    Isa::store(out + i + 2 * L, a2);
    Isa::store(out + i + 3 * L, a3);
  }
  for (; i < n; i += L) {
    const int k = imin(L, n - i);
    auto a = Isa::zero();
    for (int j = 0; j < n_rows; ++j) {
      const float* r = rows + j * stride + i;
      a = Isa::fma(Isa::set1(p[j]), k == L ? Isa::load(r) : Isa::load_tail(r, k), a);
    }
    if (k == L) {
      Isa::store(out + i, a);
    } else {
      Isa::store_tail(out + i, a, k);
    }
  }
}

// e^x in every lane, within 2 ulp for x in [-87.3, 88.3]; x is clamped to
// that range, so e^x stays a normal float (about 1.2e-38 to 2e38). x = n ln2 + r
// with n an integer and |r| <= ln2 / 2; e^r is its Taylor series to r^6
// (remainder under 1.3e-7 of the result), and 2^n goes into the exponent.
template <class Isa>
LLAMAFAST_ALWAYS_INLINE auto exp(decltype(Isa::zero()) x) {
  x = Isa::min(Isa::max(x, Isa::set1(-87.3f)), Isa::set1(88.3f));
  const auto n = Isa::round(Isa::mul(x, Isa::set1(1.44269504f)));
  // ln2 in two parts, the first with few significant bits so that n times it
  // is exact and r keeps its low bits.
  auto r = Isa::fma(n, Isa::set1(-0.693145751953125f), x);
  r = Isa::fma(n, Isa::set1(-1.42860677e-6f), r);
  auto p = Isa::set1(1.0f / 720);
  for (float c : {1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f})
    p = Isa::fma(p, r, Isa::set1(c));
  return Isa::ldexp(p, n);
}

// x = softmax(x): the max subtracted first, so no exponential overflows.
template <class Isa>
void softmax(float* x, int n) {
  constexpr int L = Isa::kLanes;
  if (n <= 0) return;
  const int full = n / L * L;
  float max = x[0];
  if (full > 0) {
    auto m = Isa::load(x);
    for (int i = L; i < full; i += L) m = Isa::max(m, Isa::load(x + i));
    max = Isa::hmax(m);
  }
  for (int i = full; i < n; ++i) max = x[i] > max ? x[i] : max;
  const auto vmax = Isa::set1(max);
  auto sum = Isa::zero();
  for (int i = 0; i < full; i += L) {
    const auto e = exp<Isa>(Isa::sub(Isa::load(x + i), vmax));
    Isa::store(x + i, e);
    sum = Isa::add(sum, e);
  }
  float total = Isa::hsum(sum);
  if (full < n) {
    const auto tail = Isa::load_tail(x + full, n - full);
    Isa::store_tail(x + full, exp<Isa>(Isa::sub(tail, vmax)), n - full);
    for (int i = full; i < n; ++i) total += x[i];  // only the real elements
  }
  const auto inv = Isa::set1(1.0f / total);
  for (int i = 0; i < full; i += L) Isa::store(x + i, Isa::mul(Isa::load(x + i), inv));
  if (full < n) {
    Isa::store_tail(x + full, Isa::mul(Isa::load_tail(x + full, n - full), inv), n - full);
  }
}

// gate = silu(gate) * up = gate / (1 + e^-gate) * up.
template <class Isa>
void silu_mul(float* gate, const float* up, int n) {
  constexpr int L = Isa::kLanes;
  const auto one = Isa::set1(1.0f);
  const auto silu_times = [&](auto g, auto u) {
    return Isa::div(Isa::mul(g, u), Isa::add(one, exp<Isa>(Isa::sub(Isa::zero(), g))));
  };
  int i = 0;
  for (; i + L <= n; i += L)
    Isa::store(gate + i, silu_times(Isa::load(gate + i), Isa::load(up + i)));
  if (i < n) {
    const auto g = Isa::load_tail(gate + i, n - i), u = Isa::load_tail(up + i, n - i);
    Isa::store_tail(gate + i, silu_times(g, u), n - i);
  }
}

}  // namespace
}  // namespace llamafast::kernels
