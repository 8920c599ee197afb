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

// R rows' dot products with HB heads' queries at once, one accumulator per
// (head, row), each row vector loaded (and, for T = F16 / BF16, widened
// exactly) once for all HB heads. A (head, row) sum takes the same steps
// whichever heads and rows it is grouped with and whatever T holds the rows:
// FMAs along the row in order, then the same horizontal sum (hsum4 over the
// R rows of that head).
template <class Isa, int HB, int R, class T>
LLAMAFAST_ALWAYS_INLINE void dot_row_group(const float* q, size_t ldq, const T* rows,
                                           size_t stride, int n, float scale, float* scores,
                                           size_t lds) {
  constexpr int L = Isa::kLanes;
  using Vec = decltype(Isa::zero());
  Vec s[HB][4];
#pragma GCC unroll 4
  for (int h = 0; h < HB; ++h)
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) s[h][r] = Isa::zero();
  const auto step = [&](int i, int k) LLAMAFAST_INLINE_LAMBDA {  // k < L: a tail
    Vec x[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
      x[r] = k < L ? Isa::load_tail(rows + r * stride + i, k) : Isa::load(rows + r * stride + i);
#pragma GCC unroll 4
    for (int h = 0; h < HB; ++h) {
      const auto qv = k < L ? Isa::load_tail(q + h * ldq + i, k) : Isa::load(q + h * ldq + i);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) s[h][r] = Isa::fma(qv, x[r], s[h][r]);
    }
  };
  int i = 0;
  for (; i + L <= n; i += L) step(i, L);
  if (i < n) step(i, n - i);
#pragma GCC unroll 4
  for (int h = 0; h < HB; ++h) {
    float sums[4];
    Isa::hsum4(s[h][0], s[h][R > 1 ? 1 : 0], s[h][R > 2 ? 2 : 0], s[h][R > 3 ? 3 : 0], sums);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) scores[h * lds + r] = sums[r] * scale;
  }
}

// The cache lines of elements [0, n) from `first`, asked for ahead of use.
// At long contexts attention reads the KV cache from memory, and the
// hardware prefetchers alone streamed f16 rows (16 of Llama-2-7B's to a
// 4 KiB page) at 7.9 GB/s on one thread where f32 rows reached 13; asking
// for the rows 8 ahead brought f16 to 11.8 (attention/.../layer-7b/).
template <class T>
LLAMAFAST_ALWAYS_INLINE void prefetch_span(const T* first, int n) {
  const char* p = reinterpret_cast<const char*>(first);
  for (size_t b = 0; b < size_t(n) * sizeof(T); b += 64) __builtin_prefetch(p + b, 0, 3);
}
constexpr int kRowsAhead = 8;

// Groups of 4 rows against blocks of HB heads.
template <class Isa, int HB, class T>
void dot_heads(const float* q, size_t ldq, const T* rows, size_t stride, int n_rows, int n,
               float scale, float* scores, size_t lds) {
  int j = 0;
  for (; j + 4 <= n_rows; j += 4) {
    if (j + kRowsAhead + 4 <= n_rows)
      for (int r = j + kRowsAhead; r < j + kRowsAhead + 4; ++r) prefetch_span(rows + r * stride, n);
    dot_row_group<Isa, HB, 4>(q, ldq, rows + j * stride, stride, n, scale, scores + j, lds);
  }
  for (; j < n_rows; ++j)
    dot_row_group<Isa, HB, 1>(q, ldq, rows + j * stride, stride, n, scale, scores + j, lds);
}

// Heads in blocks of 4 (16 accumulators, 4 row vectors, a query vector) or,
// with 16 registers, of 2. Rows are read from memory once per block of
// heads, where one head at a time re-read them all from L2 or memory.
template <class Isa, class T>
void dot_rows_of(const float* q, size_t ldq, int heads, const T* rows, size_t stride, int n_rows,
                 int n, float scale, float* scores, size_t lds) {
  constexpr int HB = Isa::kRegisters >= 32 ? 4 : 2;
  int h = 0;
  for (; h + HB <= heads; h += HB)
    dot_heads<Isa, HB>(q + h * ldq, ldq, rows, stride, n_rows, n, scale, scores + h * lds, lds);
  for (; h < heads; ++h)
    dot_heads<Isa, 1>(q + h * ldq, ldq, rows, stride, n_rows, n, scale, scores + h * lds, lds);
}

template <class Isa>
void dot_rows(const float* q, size_t ldq, int heads, const CacheRows& rows, int n, float scale,
              float* scores, size_t lds) {
  switch (rows.dtype) {
    case DType::f32:
      return dot_rows_of<Isa>(q, ldq, heads, static_cast<const float*>(rows.data), rows.stride,
                              rows.count, n, scale, scores, lds);
    case DType::f16:
      return dot_rows_of<Isa>(q, ldq, heads, static_cast<const F16*>(rows.data), rows.stride,
                              rows.count, n, scale, scores, lds);
    case DType::bf16:
      return dot_rows_of<Isa>(q, ldq, heads, static_cast<const BF16*>(rows.data), rows.stride,
                              rows.count, n, scale, scores, lds);
    case DType::q8:
    case DType::q4: return;  // not a cache type (kernels.h)
  }
}

// HB heads' sums over V vectors of columns from `out`'s column 0 (the last
// vector only k < kLanes columns when kTail): every row is loaded once and
// added into all HB heads. Each (head, column) sum adds the rows one after
// the other, j = 0, 1, ..., with one FMA each, whatever HB, V and the column
// blocking: so a head's results do not depend on the heads beside it. With
// one head that order made a chain of dependent FMAs, bound by their latency;
// HB heads give HB times as many independent chains.
template <class Isa, int HB, int V, bool kTail, class T>
LLAMAFAST_ALWAYS_INLINE void weighted_tile(const float* p, size_t ldp, const T* rows,
                                           size_t stride, int n_rows, int k, float* out,
                                           size_t ldo) {
  constexpr int L = Isa::kLanes;
  using Vec = decltype(Isa::zero());
  Vec acc[HB][V];
#pragma GCC unroll 4
  for (int h = 0; h < HB; ++h)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[h][v] = Isa::zero();
  for (int j = 0; j < n_rows; ++j) {
    if (j + kRowsAhead < n_rows) prefetch_span(rows + (j + kRowsAhead) * stride, (V - 1) * L + k);
    const T* r = rows + j * stride;
    Vec x[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      x[v] = kTail && v == V - 1 ? Isa::load_tail(r + v * L, k) : Isa::load(r + v * L);
#pragma GCC unroll 4
    for (int h = 0; h < HB; ++h) {
      const auto w = Isa::set1(p[h * ldp + j]);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[h][v] = Isa::fma(w, x[v], acc[h][v]);
    }
  }
#pragma GCC unroll 4
  for (int h = 0; h < HB; ++h) {
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      float* o = out + h * ldo + v * L;
      if (kTail && v == V - 1) {
        Isa::store_tail(o, acc[h][v], k);
      } else {
        Isa::store(o, acc[h][v]);
      }
    }
  }
}

// Column tiles of V vectors: 4, or 8 for one head with 32 registers, so that
// a row of 128 (Llama-2-7B's heads) is read in one pass over the rows rather
// than in two that each read half of every row.
template <class Isa, int HB, class T>
void weighted_heads(const float* p, size_t ldp, const T* rows, size_t stride, int n_rows,
                    int n, float* out, size_t ldo) {
  constexpr int L = Isa::kLanes, V = HB == 1 && Isa::kRegisters >= 32 ? 8 : 4;
  int i = 0;
  for (; i + V * L <= n; i += V * L)
    weighted_tile<Isa, HB, V, false>(p, ldp, rows + i, stride, n_rows, L, out + i, ldo);
  for (; i + 4 * L <= n; i += 4 * L)
    weighted_tile<Isa, HB, 4, false>(p, ldp, rows + i, stride, n_rows, L, out + i, ldo);
  for (; i + L <= n; i += L)
    weighted_tile<Isa, HB, 1, false>(p, ldp, rows + i, stride, n_rows, L, out + i, ldo);
  if (i < n)
    weighted_tile<Isa, HB, 1, true>(p, ldp, rows + i, stride, n_rows, n - i, out + i, ldo);
}

// Heads in blocks of 4 (HB x 4 accumulators, 4 row vectors and a broadcast:
// 21 of 32 registers) or, with 16 registers, of 2.
template <class Isa, class T>
void weighted_rows_of(const float* p, size_t ldp, int heads, const T* rows, size_t stride,
                      int n_rows, int n, float* out, size_t ldo) {
  constexpr int HB = Isa::kRegisters >= 32 ? 4 : 2;
  int h = 0;
  for (; h + HB <= heads; h += HB)
    weighted_heads<Isa, HB>(p + h * ldp, ldp, rows, stride, n_rows, n, out + h * ldo, ldo);
  for (; h < heads; ++h)
    weighted_heads<Isa, 1>(p + h * ldp, ldp, rows, stride, n_rows, n, out + h * ldo, ldo);
}

template <class Isa>
void weighted_rows(const float* p, size_t ldp, int heads, const CacheRows& rows, int n, float* out,
                   size_t ldo) {
  switch (rows.dtype) {
    case DType::f32:
      return weighted_rows_of<Isa>(p, ldp, heads, static_cast<const float*>(rows.data), rows.stride,
                                   rows.count, n, out, ldo);
    case DType::f16:
      return weighted_rows_of<Isa>(p, ldp, heads, static_cast<const F16*>(rows.data), rows.stride,
                                   rows.count, n, out, ldo);
    case DType::bf16:
      return weighted_rows_of<Isa>(p, ldp, heads, static_cast<const BF16*>(rows.data), rows.stride,
                                   rows.count, n, out, ldo);
    case DType::q8:
    case DType::q4: return;  // not a cache type (kernels.h)
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
