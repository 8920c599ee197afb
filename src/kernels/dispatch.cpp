// Chooses the kernel table once per process: the best one the CPU supports,
// unless LLAMAFAST_ISA asks for another (tests, benchmarks, bug hunts); and
// how the kernels prefetch weights (LLAMAFAST_PREFETCH).
#include <array>
#include <cstdlib>
#include <string>
#include <utility>

#include "kernels/cpu_features.h"
#include "kernels/isa_tables.h"
#include "kernels/kernels.h"

namespace llamafast::kernels {
namespace {

#if LLAMAFAST_HAVE_X86_KERNELS
constexpr KernelTable kAvx2{"avx2",           avx2::matmul,        avx2::row_to_f32,
                            avx2::dot_rows,   avx2::weighted_rows, avx2::softmax,
                            avx2::silu_mul,   avx2::quantize_activations};
constexpr KernelTable kAvx2Vnni{"avx2vnni",     avx2vnni::matmul,    avx2::row_to_f32,
                                avx2::dot_rows, avx2::weighted_rows, avx2::softmax,
                                avx2::silu_mul, avx2::quantize_activations};
constexpr KernelTable kAvx512{"avx512",           avx512::matmul,        avx512::row_to_f32,
                              avx512::dot_rows,   avx512::weighted_rows, avx512::softmax,
                              avx512::silu_mul,   avx512::quantize_activations};
constexpr KernelTable kAvx512Vnni{"avx512vnni",       avx512vnni::matmul,    avx512::row_to_f32,
                                  avx512::dot_rows,   avx512::weighted_rows, avx512::softmax,
                                  avx512::silu_mul,   avx512::quantize_activations};
#endif
#if LLAMAFAST_HAVE_NEON_KERNELS
constexpr KernelTable kNeon{"neon",         neon::matmul,        neon::row_to_f32,
                            neon::dot_rows, neon::weighted_rows, neon::softmax,
                            neon::silu_mul, quantize_activations};
#endif

// Every ISA name LLAMAFAST_ISA understands, on any build.
constexpr std::array<std::string_view, 6> kKnownIsas{"scalar", "avx2",       "avx2vnni",
                                                     "avx512", "avx512vnni", "neon"};

// Fastest first.
const KernelTable& best_table() {
  for (std::string_view isa : {"avx512vnni", "avx512", "avx2vnni", "avx2", "neon"}) {
    if (const KernelTable* t = find(isa)) return *t;
  }
  return scalar_table();
}

const IsaChoice& process_choice() {
  static const IsaChoice choice = [] {
    const char* requested = std::getenv("LLAMAFAST_ISA");
    return choose_isa(requested ? requested : "");
  }();
  return choice;
}

}  // namespace

const KernelTable* find(std::string_view isa) {
  if (isa == "scalar") return &scalar_table();
#if LLAMAFAST_HAVE_X86_KERNELS
  const CpuFeatures& cpu = cpu_features();
  if (isa == "avx2" && cpu.has_avx2_table()) return &kAvx2;
  if (isa == "avx2vnni" && cpu.has_avx2vnni_table()) return &kAvx2Vnni;
  if (isa == "avx512" && cpu.has_avx512_table()) return &kAvx512;
  if (isa == "avx512vnni" && cpu.has_avx512vnni_table()) return &kAvx512Vnni;
#endif
#if LLAMAFAST_HAVE_NEON_KERNELS
  if (isa == "neon" && cpu_features().neon) return &kNeon;
#endif
  return nullptr;
}

IsaChoice choose_isa(std::string_view requested) {
  const KernelTable& best = best_table();
  if (requested.empty()) return {&best, {}};
  if (const KernelTable* t = find(requested)) return {t, {}};

  bool known = false;
  for (std::string_view isa : kKnownIsas) known = known || isa == requested;
  std::string note = "LLAMAFAST_ISA=" + std::string(requested);
  note += known ? " is not supported by this CPU or build"
                : " is not an instruction set llamafast knows (scalar, avx2, avx2vnni, avx512, "
                  "avx512vnni, neon)";
  note += "; using " + std::string(best.isa);
  return {&best, std::move(note)};
}

WeightPrefetch choose_weight_prefetch(std::string_view requested, bool intel_cpu) {
  if (requested == "nta") return WeightPrefetch::nontemporal;
  if (requested == "l2") return WeightPrefetch::l2;
  return intel_cpu ? WeightPrefetch::l2 : WeightPrefetch::nontemporal;
}

std::string_view weight_prefetch_name(WeightPrefetch prefetch) {
  return prefetch == WeightPrefetch::l2 ? "l2" : "nta";
}

extern const WeightPrefetch process_weight_prefetch = [] {
  const char* requested = std::getenv("LLAMAFAST_PREFETCH");
  return choose_weight_prefetch(requested ? requested : "", cpu_features().intel);
}();

const KernelTable& active() { return *process_choice().table; }

std::string_view forced_isa_note() { return process_choice().note; }

}  // namespace llamafast::kernels
