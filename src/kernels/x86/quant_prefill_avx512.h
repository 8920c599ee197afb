// Prefill (several tokens) with q4 / q8 weights on AVX512-VNNI: a GEMM whose
// vector lanes are 16 weight rows, so that one integer dot product adds 4
// (int8) or 2 (int16) columns for 16 rows of one token, and a group of 32
// columns needs 8 or 16 of them per conversion to fp32 (the row-wise kernel
// of quant_int8.h converts after every one, and is bound by that).
//
// The weights are repacked on the fly into a panel of 32 rows x 256 columns
// (8 or 16 KiB, in L1): for every 4 (int8) or 2 (int16) columns, two vectors
// holding those columns of rows 0-15 and 16-31 as int8 or int16 values. Each
// token tile then streams the panel once, so packing is paid once per 256
// (int8) or 128 (int16) tokens (a 64 KiB block of activations). A panel's
// rows go through all column blocks before the next panel's, their sums
// kept in a 32-row buffer in L1 and written to y once (prefill below).
// All of x is converted up front, block by block, into the PreparedInput.
//
// Activations, as in decode (quant_decode_avx512.h):
//  - int8_activations (8da4w, 8da8w): quantize_activations' int8
//    values, bit for bit, stored as x + 128 (unsigned) for vpdpbusd; the
//    128 * sum(w) that adds is subtracted through each group sum's starting
//    value, computed per row while packing.
//  - weight-only: int16 with one scale per 32 columns (quantize_group16), for
//    vpdpwssd with the weights widened to int16.
// Applies to q8 and q4 with groups of a multiple of 32 columns (q4: 32, 64,
// 128 or 256, dividing the row, as every layout llamafast and GGUF write) and
// rows of a multiple of 32 columns; f16 or f32 scales, any strides.
// Include only from a file compiled with the AVX512-VNNI flags.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/quant_int8.h"
#include "kernels/quant_view.h"
#include "kernels/x86/quant_decode_avx512.h"
#include "kernels/x86/simd_quant_avx512.h"

namespace llamafast::kernels {
namespace {

// Below this many tokens the row-wise kernels win: packing costs about as
// much as a few tokens' worth of dot products.
constexpr int kPrefillMinTokens = 8;
constexpr int kQPanelCols = 256;
constexpr int kQPanelVecs = 2;  // 16-row vectors per panel
constexpr int kQPanelRows = 16 * kQPanelVecs;
constexpr int kQPanelSegments = kQPanelCols / 32;  // parts of groups in a block, at most
constexpr int kPrefillActBytes = 64 * 1024;

inline bool prefill_applies(const QuantView& W) {
  if (W.cols == 0 || W.cols % 32 != 0 || W.group % 32 != 0) return false;
  return !W.q4 || (kQPanelCols % W.group == 0 && W.cols % W.group == 0);
}

// One block of up to kQPanelCols columns of kQPanelRows rows, packed.
struct alignas(64) QuantPanel {
  // Entry e (columns c0 + 4e .. or c0 + 2e ..), vector v: 64 bytes at
  // w + (e * kQPanelVecs + v) * 64; lane i is row 16 v + i.
  alignas(64) uint8_t w[kQPanelCols * kQPanelRows * 2];
  // Per segment s and vector v, 16 lanes: the weights' scales (f32) and,
  // int8 only, the starting value of the segment's integer sums.
  alignas(64) float scale[kQPanelSegments * kQPanelVecs * 16];
  alignas(64) int32_t init[kQPanelSegments * kQPanelVecs * 16];
  int seg_cols[kQPanelSegments];  // the block's parts of groups, in order
  int nseg = 0;
};

// The 4-byte words k = 0..3 of 16 rows' 16-byte chunks at base + off[i]:
// out[k] lane i is bytes 4k .. 4k+3 of row i's chunk.
LLAMAFAST_ALWAYS_INLINE void transpose16x4(const uint8_t* base, const size_t (&off)[16],
                                           __m512i (&out)[4]) {
  __m512i z[4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const auto row = [&](int r) {
      return _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + off[r]));
    };
    z[i] = _mm512_castsi128_si512(row(4 * i));
    z[i] = _mm512_inserti32x4(z[i], row(4 * i + 1), 1);
    z[i] = _mm512_inserti32x4(z[i], row(4 * i + 2), 2);
    z[i] = _mm512_inserti32x4(z[i], row(4 * i + 3), 3);
  }
  // Lanes 0-7: word 0 (or 2) of rows 0-7; lanes 8-15: word 1 (or 3).
  const __m512i w01 = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
  const __m512i w23 = _mm512_setr_epi32(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
  const __m512i a01 = _mm512_permutex2var_epi32(z[0], w01, z[1]);
  const __m512i a23 = _mm512_permutex2var_epi32(z[0], w23, z[1]);
  const __m512i b01 = _mm512_permutex2var_epi32(z[2], w01, z[3]);
  const __m512i b23 = _mm512_permutex2var_epi32(z[2], w23, z[3]);
  out[0] = _mm512_shuffle_i64x2(a01, b01, _MM_SHUFFLE(1, 0, 1, 0));
  out[1] = _mm512_shuffle_i64x2(a01, b01, _MM_SHUFFLE(3, 2, 3, 2));
  out[2] = _mm512_shuffle_i64x2(a23, b23, _MM_SHUFFLE(1, 0, 1, 0));
  out[3] = _mm512_shuffle_i64x2(a23, b23, _MM_SHUFFLE(3, 2, 3, 2));
}

// Stores one vector of 4 signed int8 columns per row (columns col ..) into
// the panel: as is for int8, as two vectors of int16 pairs for int16.
template <bool kInt16>
LLAMAFAST_ALWAYS_INLINE void emit(QuantPanel& p, int v, int col, __m512i w8, __m512i& sum) {
  if constexpr (kInt16) {
    // Bytes 4i, 4i+1 (then 4i+2, 4i+3) of each dword into the high halves of
    // two int16; the arithmetic shift sign-extends them.
    const __m512i lo = _mm512_broadcast_i32x4(
        _mm_setr_epi32(0x01800080, 0x05800480, 0x09800880, 0x0D800C80));
    const __m512i hi = _mm512_broadcast_i32x4(
        _mm_setr_epi32(0x03800280, 0x07800680, 0x0B800A80, 0x0F800E80));
    uint8_t* dst = p.w + (size_t(col / 2) * kQPanelVecs + v) * 64;
    _mm512_store_si512(dst, _mm512_srai_epi16(_mm512_shuffle_epi8(w8, lo), 8));
    _mm512_store_si512(dst + kQPanelVecs * 64, _mm512_srai_epi16(_mm512_shuffle_epi8(w8, hi), 8));
  } else {
    _mm512_store_si512(p.w + (size_t(col / 4) * kQPanelVecs + v) * 64, w8);
    sum = _mm512_dpbusd_epi32(sum, _mm512_set1_epi8(1), w8);
  }
}

// Asks for the next panel's weights and scales, all lines at once, while this
// one is packed and used: the same rows' next column block, or after a row's
// last block the next kQPanelRows rows' first.
// For q4 only: a q4 panel reads two cache lines of each of 32 rows, which the
// hardware prefetchers do not foresee, and packing then waited on memory row by
// row (13-16% faster q4 kernels in the quant microbenchmark, 8% faster 8da4w
// prefill); a q8 panel reads four or more, the hardware keeps up, and this
// made 8da8w prefill 8% slower.
// The prefetches are volatile asm: GCC deletes a loop whose only statements
// are __builtin_prefetch calls, as a loop without side effects.
inline void prefetch_next_panel(const QuantView& W, int r0, int c0) {
  c0 += kQPanelCols;
  if (c0 >= W.cols) {
    c0 = 0;
    r0 += kQPanelRows;
  }
  const int cols = imin(kQPanelCols, W.cols - c0);
  const int g0 = c0 / W.group, g1 = (c0 + cols - 1) / W.group;
  const size_t data_bytes = size_t(g1 - g0) * W.group_stride + size_t(W.group) / (W.q4 ? 2 : 1);
  const size_t scale_bytes = size_t(g1 - g0) * W.scale_group_stride + (W.f16_scales ? 2 : 4);
  const auto fetch = [](const void* p, size_t bytes) {
    const uintptr_t end = reinterpret_cast<uintptr_t>(p) + bytes;
    for (uintptr_t a = reinterpret_cast<uintptr_t>(p) & ~uintptr_t(63); a < end; a += 64)
      asm volatile("prefetcht0 %0" : : "m"(*reinterpret_cast<const char*>(a)));
  };
  for (int r = r0; r < imin(r0 + kQPanelRows, W.rows); ++r) {
    fetch(W.group_data(r, g0), data_bytes);
    fetch(W.scale_at(r, g0), scale_bytes);
  }
}

// Packs rows [r0, r0 + nr) (nr <= kQPanelRows; missing rows repeat the last)
// of the block at column c0 whose segments are already in p.
template <bool kInt16>
void pack_panel(const QuantView& W, int r0, int nr, int c0, QuantPanel& p) {
  const __m512i low4 = _mm512_set1_epi8(0x0F), eight = _mm512_set1_epi8(8);
  if (W.q4) prefetch_next_panel(W, r0, c0);
  for (int v = 0; v < kQPanelVecs; ++v) {
    // Rows as byte offsets from the vector's first row, computed once per
    // panel rather than per row and group (about 5% of the kernel's time
    // with the weights in cache).
    const int first = r0 + imin(16 * v, nr - 1);
    size_t off[16], scale_off[16];
    for (int i = 0; i < 16; ++i) {
      const size_t r = size_t(r0 + imin(16 * v + i, nr - 1) - first);
      off[i] = r * W.row_stride;
      scale_off[i] = r * W.scale_row_stride;
    }
    int c = c0;
    for (int s = 0; s < p.nseg; ++s) {
      const int g = c / W.group, len = p.seg_cols[s];
      const uint8_t* data = W.group_data(first, g);
      const std::byte* scales = W.scale_at(first, g);
      float* scale = p.scale + (s * kQPanelVecs + v) * 16;
      if (W.f16_scales) {
        alignas(32) uint16_t h[16];
        for (int i = 0; i < 16; ++i) std::memcpy(&h[i], scales + scale_off[i], sizeof h[i]);
        const __m256i halves = _mm256_load_si256(reinterpret_cast<const __m256i*>(h));
        _mm512_store_ps(scale, _mm512_cvtph_ps(halves));
      } else {
        for (int i = 0; i < 16; ++i) std::memcpy(&scale[i], scales + scale_off[i], sizeof(float));
      }
      // The rows' sums in four parts, so that the dot products adding them
      // up are four independent chains (one chain over a q8 block would be
      // 64 dot products long).
      __m512i sum[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                        _mm512_setzero_si512()};
      __m512i words[4];
      if (!W.q4) {
        for (int cc = c; cc < c + len; cc += 16) {
          transpose16x4(data + (cc - g * W.group), off, words);
#pragma GCC unroll 4
          for (int k = 0; k < 4; ++k) emit<kInt16>(p, v, cc - c0 + 4 * k, words[k], sum[k]);
        }
      } else {
        // A whole group: byte j holds columns j (low nibble) and h + j.
        const int h = len / 2;
        for (int j = 0; j < h; j += 16) {
          transpose16x4(data + j, off, words);
#pragma GCC unroll 4
          for (int k = 0; k < 4; ++k) {
            const __m512i lo = _mm512_sub_epi8(_mm512_and_si512(words[k], low4), eight);
            const __m512i hi =
                _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(words[k], 4), low4), eight);
            emit<kInt16>(p, v, c - c0 + j + 4 * k, lo, sum[k]);
            emit<kInt16>(p, v, c - c0 + h + j + 4 * k, hi, sum[k]);
          }
        }
      }
      if constexpr (!kInt16) {
        // The activations come as x + 128: take 128 * sum(w) back out.
        const __m512i total =
            _mm512_add_epi32(_mm512_add_epi32(sum[0], sum[1]), _mm512_add_epi32(sum[2], sum[3]));
        _mm512_store_si512(p.init + (s * kQPanelVecs + v) * 16,
                           _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(total, 7)));
      }
      c += len;
    }
  }
}

LLAMAFAST_ALWAYS_INLINE __m512i broadcast_word(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm512_set1_epi32(v);
}

// Stores v * scale into one 16-row vector of results; lanes past `valid`
// rows are left alone.
LLAMAFAST_ALWAYS_INLINE void store_rows(float* y, __m512 v, __m512 scale, int valid) {
  const __mmask16 m = valid >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << imax(valid, 0)) - 1);
  _mm512_mask_storeu_ps(y, m, _mm512_mul_ps(v, scale));
}

// int8 activations: y[t, 0 .. 32) (+)= the sum over the panel, T tokens,
// before the tokens' scales (the caller's to apply). xq[t * ldq + c] are the
// block's activations + 128. The sums go to y (in L1) after every segment,
// so that the registers hold only the integer sums: 2 T chains of dot
// products, each waiting on its previous result (vpdpbusd's latency).
template <int T>
LLAMAFAST_ALWAYS_INLINE void int8_panel_tile(const QuantPanel& p, const uint8_t* xq, int ldq,
                                             float* y, size_t ldy, bool accumulate) {
  constexpr int V = kQPanelVecs;
  const auto* w = reinterpret_cast<const __m512i*>(p.w);
  int e = 0;
  for (int seg = 0; seg < p.nseg; ++seg) {
    __m512i sum[V][T];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      const __m512i init = _mm512_load_si512(p.init + (seg * V + v) * 16);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) sum[v][t] = init;
    }
    // 32 columns at a time, in a loop of constant count that GCC unrolls
    // fully (with a variable count it copied the sums between registers at
    // every segment).
    for (const int end = e + p.seg_cols[seg] / 4; e < end; e += 8) {
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        __m512i wv[V];
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v) wv[v] = _mm512_load_si512(w + (e + j) * V + v);
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
          const __m512i xb = broadcast_word(xq + t * ldq + 4 * (e + j));
#pragma GCC unroll 4
          for (int v = 0; v < V; ++v) sum[v][t] = _mm512_dpbusd_epi32(sum[v][t], xb, wv[v]);
        }
      }
    }
    const bool add = accumulate || seg > 0;
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      const __m512 scale = _mm512_load_ps(p.scale + (seg * V + v) * 16);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        float* yt = y + t * ldy + 16 * v;
        const __m512 f = _mm512_cvtepi32_ps(sum[v][t]);
        _mm512_store_ps(yt, add ? _mm512_fmadd_ps(f, scale, _mm512_load_ps(yt))
                                : _mm512_mul_ps(f, scale));
      }
    }
  }
}

// int16 activations: y[t, 0 .. 32) (+)= the sum over the panel, T tokens.
// x16[t * ldq + c] are the block's activations, xs[t * kQPanelSegments + u]
// the scale of their 32 columns from 32u. As in the int8 tile, the sums go
// to y after every 32 columns.
template <int T>
LLAMAFAST_ALWAYS_INLINE void int16_panel_tile(const QuantPanel& p, const int16_t* x16, int ldq,
                                              const float* xs, float* y, size_t ldy,
                                              bool accumulate) {
  constexpr int V = kQPanelVecs;
  const auto* w = reinterpret_cast<const __m512i*>(p.w);
  int u = 0;  // 32-column unit
  for (int seg = 0; seg < p.nseg; ++seg) {
    __m512 scale[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) scale[v] = _mm512_load_ps(p.scale + (seg * V + v) * 16);
    for (const int end = u + p.seg_cols[seg] / 32; u < end; ++u) {
      __m512i sum[V][T];
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v)
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) sum[v][t] = _mm512_setzero_si512();
#pragma GCC unroll 16
      for (int j = 0; j < 16; ++j) {  // a constant count, so that GCC unrolls it fully
        const int e = 16 * u + j;
        __m512i wv[V];
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v) wv[v] = _mm512_load_si512(w + e * V + v);
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
          const __m512i xb = broadcast_word(x16 + t * ldq + 2 * e);
#pragma GCC unroll 4
          for (int v = 0; v < V; ++v) sum[v][t] = _mm512_dpwssd_epi32(sum[v][t], wv[v], xb);
        }
      }
      const bool add = accumulate || u > 0;
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512 xt = _mm512_set1_ps(xs[t * kQPanelSegments + u]);
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v) {
          float* yt = y + t * ldy + 16 * v;
          const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(sum[v][t]), xt);
          _mm512_store_ps(yt, add ? _mm512_fmadd_ps(f, scale[v], _mm512_load_ps(yt))
                                  : _mm512_mul_ps(f, scale[v]));
        }
      }
    }
  }
}

// Tokens per tile: 8, so 16 integer sums, each a chain of dot products that
// waits on its previous result. vpdpbusd takes about 6 cycles on the Xeon of
// docs/benchmarks.md and two can start each cycle: 12 independent chains or
// more keep it busy, 10 (the 5 tokens of fp32 sums held in registers before)
// at most at 5/6 of its peak. 10 tokens made GCC spill. On Zen 5, with the
// fp32 sums in registers, 5 (int8) and 6 (int16) tokens had measured best,
// and the activation broadcasts cost most: without them (a timing
// experiment, wrong sums) the int8 tile ran at 790 GOP/s instead of 480.
constexpr int kInt8PanelTokens = 8;
constexpr int kInt16PanelTokens = 8;

// The panel against nt tokens of a block, T at a time, into y (ldy floats a
// token). xs: int16 only, the activations' scales.
template <bool kInt16, int T>
void panel_tiles(const QuantPanel& p, const void* act, int ldq, const float* xs, int nt, float* y,
                 size_t ldy, bool accumulate) {
  int t = 0;
  for (; t + T <= nt; t += T) {
    if constexpr (kInt16) {
      int16_panel_tile<T>(p, static_cast<const int16_t*>(act) + t * ldq, ldq,
                          xs + t * kQPanelSegments, y + t * ldy, ldy, accumulate);
    } else {
      int8_panel_tile<T>(p, static_cast<const uint8_t*>(act) + t * ldq, ldq, y + t * ldy, ldy,
                         accumulate);
    }
  }
  if constexpr (T > 1) {
    if (t < nt) {
      const size_t skip = size_t(t) * ldq * (kInt16 ? 2 : 1);
      panel_tiles<kInt16, T - 1>(p, static_cast<const uint8_t*>(act) + skip, ldq,
                                 kInt16 ? xs + t * kQPanelSegments : xs, nt - t, y + t * ldy, ldy,
                                 accumulate);
    }
  }
}

// The activations of one block of tokens and columns: int8 + 128 with the
// tokens' scales, or int16 with one scale per 32 columns.
struct alignas(64) PrefillActivations {
  alignas(64) uint8_t bytes[kPrefillActBytes];
  // int16: [t][32-column unit] (2 bytes a column); int8: the tokens' scales.
  float scale[kPrefillActBytes / 64];
};

// Blocks of kTokens tokens and kQPanelCols columns.
template <bool kInt16>
constexpr int kTokensPerBlock = kPrefillActBytes / (kQPanelCols * (kInt16 ? 2 : 1));

// Quantizes block (t0, c0) of x (nt tokens, k columns) into a; int8 with
// the tokens' 127 / max|x| in inv (their scales are the caller's to store).
template <bool kInt16>
void prepare_block(const QuantView& W, const float* x, int t0, int nt, int c0, int k,
                   const float* inv, PrefillActivations& a) {
  for (int t = 0; t < nt; ++t) {
    const float* xt = x + size_t(t0 + t) * W.cols + c0;
    if constexpr (kInt16) {
      auto* q = reinterpret_cast<int16_t*>(a.bytes) + t * kQPanelCols;
      for (int u = 0; u < k / 32; ++u) {
        a.scale[t * kQPanelSegments + u] = quantize_group16(xt + 32 * u, q + 32 * u, q + 32 * u + 16);
      }
    } else {
      uint8_t* q = a.bytes + t * kQPanelCols;
      Avx512Quant::quantize(xt, k, inv[t], reinterpret_cast<int8_t*>(q));
      const __m256i bias = _mm256_set1_epi8(char(0x80));  // int8 -> x + 128
      for (int c = 0; c < k; c += 32) {
        auto* v = reinterpret_cast<__m256i*>(q + c);
        _mm256_store_si256(v, _mm256_xor_si256(_mm256_load_si256(v), bias));
      }
    }
  }
}

// Tags for PreparedInput: which form it holds.
constexpr char kPreparedBlocksInt16 = 0, kPreparedBlocksInt8 = 0;

template <bool kInt16>
void prefill(const QuantView& W, const float* x, int n, float* y, size_t ldy, int row_begin,
             int row_end, PreparedInput& prepared) {
  constexpr int kTokens = kTokensPerBlock<kInt16>;
  const int col_blocks = (W.cols + kQPanelCols - 1) / kQPanelCols;
  // Every block of x is kept in `prepared`, and prepared only if it does not
  // hold them yet: a thread's other claims on the same input reuse them.
  const void* form = kInt16 ? &kPreparedBlocksInt16 : &kPreparedBlocksInt8;
  const size_t count = size_t((n + kTokens - 1) / kTokens) * size_t(col_blocks);
  const bool ready = prepared.holds(form, x, n, W.cols);
  auto* blocks = static_cast<PrefillActivations*>(prepared.data(count * sizeof(PrefillActivations)));
  QuantPanel p;
  // A panel's results over all column blocks, summed here and written to y
  // once: adding each block's into y itself, whose tokens lie a row of the
  // matrix apart (8 KiB for 2048 rows, the same L1 set), missed the cache
  // (15% of the int8 kernel's samples on a Xeon).
  alignas(64) float sums[kTokens * kQPanelRows];  // [token][row of the panel]
  for (int t0 = 0; t0 < n; t0 += kTokens) {
    const int nt = imin(kTokens, n - t0);
    PrefillActivations* a = blocks + size_t(t0 / kTokens) * col_blocks;
    if (!ready) {
      float scale[kTokens], inv[kTokens];  // int8: the tokens' scales
      if (!kInt16) {
        for (int t = 0; t < nt; ++t) {
          const float m = Avx512Quant::max_abs(x + size_t(t0 + t) * W.cols, W.cols);
          inv[t] = m > 0.0f ? 127.0f / m : 0.0f;
          scale[t] = m / 127.0f;
        }
      }
      for (int b = 0; b < col_blocks; ++b) {
        const int c0 = b * kQPanelCols;
        if (!kInt16) std::memcpy(a[b].scale, scale, sizeof(float) * size_t(nt));
        prepare_block<kInt16>(W, x, t0, nt, c0, imin(kQPanelCols, W.cols - c0), inv, a[b]);
      }
    }
    for (int r0 = row_begin; r0 < row_end; r0 += kQPanelRows) {
      const int nr = imin(kQPanelRows, row_end - r0);
      for (int b = 0; b < col_blocks; ++b) {
        const int c0 = b * kQPanelCols, k = imin(kQPanelCols, W.cols - c0);
        p.nseg = 0;
        for (int c = c0; c < c0 + k; ++p.nseg) {
          const int end = imin(c0 + k, (c / W.group + 1) * W.group);
          p.seg_cols[p.nseg] = end - c;
          c = end;
        }
        pack_panel<kInt16>(W, r0, nr, c0, p);
        constexpr int T = kInt16 ? kInt16PanelTokens : kInt8PanelTokens;
        panel_tiles<kInt16, T>(p, a[b].bytes, kQPanelCols, a[b].scale, nt, sums, kQPanelRows,
                               b > 0);
      }
      for (int t = 0; t < nt; ++t) {
        // int8: the token's scale, the same in every block.
        const __m512 st = _mm512_set1_ps(kInt16 ? 1.0f : a[0].scale[t]);
#pragma GCC unroll 2
        for (int v = 0; v < kQPanelVecs; ++v) {
          store_rows(y + size_t(t0 + t) * ldy + r0 + 16 * v,
                     _mm512_load_ps(sums + t * kQPanelRows + 16 * v), st, nr - 16 * v);
        }
      }
    }
  }
  prepared.remember(form, x, n, W.cols);
}

// Rows [row_begin, row_end) of y = W x for n tokens. Returns false, having
// done nothing, when W or n is not a case this kernel covers.
bool quant_prefill(const WeightMatrix& M, const float* x, int n, float* y, int ldy, int row_begin,
                   int row_end, PreparedInput* prepared) {
  const QuantView W(M);
  if (n < kPrefillMinTokens || !prefill_applies(W)) return false;
  PreparedInput local;  // tests and single calls; the model passes one per thread
  PreparedInput& input = prepared ? *prepared : local;
  if (M.int8_activations) {
    prefill<false>(W, x, n, y, size_t(ldy), row_begin, row_end, input);
  } else {
    prefill<true>(W, x, n, y, size_t(ldy), row_begin, row_end, input);
  }
  return true;
}

}  // namespace
}  // namespace llamafast::kernels
