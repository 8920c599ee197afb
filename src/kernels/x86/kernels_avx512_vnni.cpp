// The AVX-512 table with AVX512-VNNI (vpdpbusd): its own quantized matmuls;
// float weights go to the AVX-512 table's, except bf16_activations decode and
// prefill on CPUs with AVX512-BF16 (x86/kernels_avx512_bf16.cpp).
// Compiled with the AVX-512 flags plus -mavx512vnni (see src/CMakeLists.txt).
// GCC 12's AVX-512 intrinsics trip -W(maybe-)uninitialized: see kernels_avx512.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/cpu_features.h"
#include "kernels/isa_tables.h"
#include "kernels/matmul_quant.h"
#include "kernels/x86/quant_decode_avx512.h"
#include "kernels/x86/quant_prefill_avx512.h"
#include "kernels/x86/simd_quant_avx512.h"

namespace llamafast::kernels::avx512vnni {

// From 2 up to this many tokens, bf16-activation matmuls stay on the AVX-512
// table's row kernel, as they do there before its fp32 panels (matmul_simd.h);
// where these faster panels overtake it was not measured.
constexpr int kBf16DotMinTokens = 12;

void matmul(const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
            int row_end, PreparedInput* prepared) {
  if (W.dtype == DType::bf16 && W.bf16_activations && W.cols > 0 && cpu_features().avx512_bf16) {
    // Decode is bound by memory, where vdpbf16ps saves the widening of the
    // weights on any CPU; prefill by the multiplications (fast_bf16_dot).
    if (n == 1 && avx512bf16::matmul_one_token(W, x, y, row_begin, row_end)) return;
    if (n > kBf16DotMinTokens && cpu_features().fast_bf16_dot()) {
      return avx512bf16::matmul(W, x, n, y, ldy, row_begin, row_end);
    }
  }
  if (!is_quantized(W.dtype)) return avx512::matmul(W, x, n, y, ldy, row_begin, row_end, nullptr);
  if (n == 1 && quant_decode(W, x, y, row_begin, row_end, prepared)) return;
  if (quant_prefill(W, x, n, y, ldy, row_begin, row_end, prepared)) return;
  matmul_quant<Avx512Quant, Int512<true>>(W, x, n, y, ldy, row_begin, row_end);
}

}  // namespace llamafast::kernels::avx512vnni
