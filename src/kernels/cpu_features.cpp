// CPU feature detection: cpuid + xgetbv on x86-64, the kernel's hwcaps on
// aarch64 Linux. Compiled without ISA flags, like everything outside x86/ and arm/.
#include "kernels/cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <cstdint>
#include <cstring>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>  // getauxval; with glibc also the HWCAP_* bits
// The bits' values are fixed by the Linux arm64 ABI (arch/arm64/include/uapi/asm/hwcap.h).
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_ASIMDHP
#define HWCAP_ASIMDHP (1UL << 10)
#endif
#endif

namespace llamafast::kernels {
namespace {

#if defined(__x86_64__) || defined(__i386__)

bool bit(unsigned reg, int n) { return (reg >> n) & 1u; }

// XCR0: which register state the OS saves. Only readable when CPUID says
// OSXSAVE; spelled as asm because _xgetbv would need -mxsave on this file.
uint64_t read_xcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const unsigned max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf < 1) return f;
  // Leaf 0 spells the vendor in ebx, edx, ecx.
  unsigned vendor[3] = {};
  __get_cpuid(0, &eax, &vendor[0], &vendor[2], &vendor[1]);
  f.intel = std::memcmp(vendor, "GenuineIntel", 12) == 0;
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  const bool osxsave = bit(ecx, 27);
  f.fma = bit(ecx, 12);
  f.f16c = bit(ecx, 29);

  const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
  // Bits 1-2: SSE and AVX (upper YMM) state.
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  // Bits 5-7: opmask, upper halves of ZMM0-15, ZMM16-31.
  const bool os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0;
  f.avx = bit(ecx, 28) && os_ymm;
  // FMA and F16C encode with VEX: unusable without the AVX state either.
  f.fma = f.fma && f.avx;
  f.f16c = f.f16c && f.avx;

  if (max_leaf >= 7) {
    __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx);
    const unsigned max_subleaf = eax;
    f.avx2 = f.avx && bit(ebx, 5);
    f.avx512f = os_zmm && bit(ebx, 16);
    f.avx512dq = f.avx512f && bit(ebx, 17);
    f.avx512bw = f.avx512f && bit(ebx, 30);
    f.avx512vl = f.avx512f && bit(ebx, 31);
    f.avx512_vnni = f.avx512f && bit(ecx, 11);
    if (max_subleaf >= 1) {
      __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx);
      f.avx_vnni = f.avx && bit(eax, 4);
      f.avx512_bf16 = f.avx512f && bit(eax, 5);
    }
  }
  return f;
}

#elif defined(__aarch64__) && defined(__linux__)

CpuFeatures detect() {
  CpuFeatures f;
  const unsigned long hwcap = getauxval(AT_HWCAP);
  f.neon = (hwcap & HWCAP_ASIMD) != 0;
  f.neon_fp16 = f.neon && (hwcap & HWCAP_ASIMDHP) != 0;
  return f;
}

#elif defined(__aarch64__)

// Other aarch64 systems (no hwcaps to ask): Advanced SIMD is mandatory in
// AArch64, so that much is always safe; claim nothing optional.
CpuFeatures detect() {
  CpuFeatures f;
  f.neon = true;
  return f;
}

#else

CpuFeatures detect() { return {}; }

#endif

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace llamafast::kernels
