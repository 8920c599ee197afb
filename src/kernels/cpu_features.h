// What the CPU (and the operating system, which must save the wider registers
// on a context switch) lets this process run. Detected once, at first use.
#pragma once

namespace llamafast::kernels {

struct CpuFeatures {
  // x86-64. avx / avx512f are true only when XCR0 shows the OS saves the
  // YMM / ZMM and mask-register state, so a true flag means "safe to execute".
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx_vnni = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
  // The vendor string is "GenuineIntel". Decides how the kernels prefetch the
  // weights they stream (kernels.h, WeightPrefetch).
  bool intel = false;

  // aarch64.
  bool neon = false;
  bool neon_fp16 = false;  // FP16 arithmetic (FEAT_FP16)

  // What kernels_avx2.cpp is compiled for: -mavx2 -mfma -mf16c.
  bool has_avx2_table() const { return avx && avx2 && fma && f16c; }
  // What kernels_avx512.cpp is compiled for: -mavx512f/bw/dq/vl plus the AVX2 set.
  bool has_avx512_table() const {
    return has_avx2_table() && avx512f && avx512bw && avx512dq && avx512vl;
  }
  // kernels_avx2_vnni.cpp: the AVX2 set plus -mavxvnni.
  bool has_avx2vnni_table() const { return has_avx2_table() && avx_vnni; }
  // kernels_avx512_vnni.cpp: the AVX-512 set plus -mavx512vnni.
  bool has_avx512vnni_table() const { return has_avx512_table() && avx512_vnni; }
  // Whether prefill should multiply bf16 activations with vdpbf16ps rather
  // than fp32 FMAs. On Zen 5 the vdpbf16ps panels ran at 341 GFLOP/s against
  // 188 for the FMA panels (one thread); on an Intel Xeon (family 6 model 207)
  // at 81 against 145, and the model's prefill was 1.6x faster on the FMA
  // panels (docs/benchmarks.md).
  bool fast_bf16_dot() const { return avx512_bf16 && !intel; }
};

const CpuFeatures& cpu_features();

}  // namespace llamafast::kernels
