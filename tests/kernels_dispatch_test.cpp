// Run-time choice of the kernel table: CPU feature detection, find(), the
// LLAMAFAST_ISA override, and how weights are prefetched (LLAMAFAST_PREFETCH).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "kernels/cpu_features.h"
#include "kernels/kernels.h"

namespace llamafast::kernels {
namespace {

// What the tables' compile flags need, the best first.
const KernelTable* expected_best() {
  for (const char* isa : {"avx512vnni", "avx512", "avx2vnni", "avx2", "neon"}) {
    if (const KernelTable* t = find(isa)) return t;
  }
  return &scalar_table();
}

TEST(KernelDispatch, FindReturnsATableOnlyForIsasTheCpuRuns) {
  EXPECT_EQ(find("scalar"), &scalar_table());
  EXPECT_EQ(find("sse9"), nullptr);
  EXPECT_EQ(find(""), nullptr);
#if defined(__x86_64__)
  const CpuFeatures& cpu = cpu_features();
  EXPECT_EQ(find("avx2") != nullptr, cpu.has_avx2_table());
  EXPECT_EQ(find("avx512") != nullptr, cpu.has_avx512_table());
  EXPECT_EQ(find("avx2vnni") != nullptr, cpu.has_avx2vnni_table());
  EXPECT_EQ(find("avx512vnni") != nullptr, cpu.has_avx512vnni_table());
  EXPECT_EQ(find("neon"), nullptr);
#endif
  for (const char* isa : {"scalar", "avx2", "avx2vnni", "avx512", "avx512vnni", "neon"}) {
    if (const KernelTable* t = find(isa)) {
      EXPECT_EQ(t->isa, isa);
    }
  }
}

TEST(KernelDispatch, ChooseIsaWithoutARequestPicksTheBestTable) {
  const IsaChoice choice = choose_isa("");
  EXPECT_EQ(choice.table, expected_best());
  EXPECT_TRUE(choice.note.empty()) << choice.note;
}

TEST(KernelDispatch, ChooseIsaHonoursASupportedRequestSilently) {
  const IsaChoice choice = choose_isa("scalar");
  EXPECT_EQ(choice.table, &scalar_table());
  EXPECT_TRUE(choice.note.empty()) << choice.note;
}

TEST(KernelDispatch, ChooseIsaFallsBackToTheBestAndSaysWhyForAnUnsupportedIsa) {
  // Some known ISA this machine cannot run, if there is one.
  for (const char* isa : {"neon", "avx512vnni", "avx512", "avx2vnni", "avx2"}) {
    if (find(isa) != nullptr) continue;
    const IsaChoice choice = choose_isa(isa);
    EXPECT_EQ(choice.table, expected_best());
    EXPECT_NE(choice.note.find(isa), std::string::npos) << choice.note;
    EXPECT_NE(choice.note.find("not supported"), std::string::npos) << choice.note;
    const std::string best(expected_best()->isa);
    EXPECT_NE(choice.note.find(best), std::string::npos) << choice.note;
    return;
  }
  GTEST_SKIP() << "this machine runs every ISA llamafast has kernels for";
}

TEST(KernelDispatch, ChooseIsaFallsBackToTheBestAndSaysWhyForAnUnknownName) {
  const IsaChoice choice = choose_isa("avx9000");
  EXPECT_EQ(choice.table, expected_best());
  EXPECT_NE(choice.note.find("avx9000"), std::string::npos) << choice.note;
  EXPECT_NE(choice.note.find("not an instruction set"), std::string::npos) << choice.note;
}

TEST(KernelDispatch, ActiveFollowsLlamafastIsaFromTheEnvironment) {
  const char* requested = std::getenv("LLAMAFAST_ISA");
  const IsaChoice expected = choose_isa(requested ? requested : "");
  EXPECT_EQ(&active(), expected.table);
  EXPECT_EQ(forced_isa_note(), expected.note);
}

TEST(KernelDispatch, WeightsArePrefetchedIntoL2OnIntelAndNonTemporalElsewhere) {
  EXPECT_EQ(choose_weight_prefetch("", true), WeightPrefetch::l2);
  EXPECT_EQ(choose_weight_prefetch("", false), WeightPrefetch::nontemporal);
}

TEST(KernelDispatch, LlamafastPrefetchOverridesTheVendorsChoice) {
  EXPECT_EQ(choose_weight_prefetch("nta", true), WeightPrefetch::nontemporal);
  EXPECT_EQ(choose_weight_prefetch("l2", false), WeightPrefetch::l2);
  // Any other value is no request.
  EXPECT_EQ(choose_weight_prefetch("L2", false), WeightPrefetch::nontemporal);
  EXPECT_EQ(choose_weight_prefetch("t0", true), WeightPrefetch::l2);
  EXPECT_EQ(weight_prefetch_name(WeightPrefetch::l2), "l2");
  EXPECT_EQ(weight_prefetch_name(WeightPrefetch::nontemporal), "nta");
}

TEST(KernelDispatch, TheProcessPrefetchFollowsLlamafastPrefetchAndTheVendor) {
  const char* requested = std::getenv("LLAMAFAST_PREFETCH");
  EXPECT_EQ(process_weight_prefetch,
            choose_weight_prefetch(requested ? requested : "", cpu_features().intel));
}

#if defined(__x86_64__) && defined(__linux__)
// The vendor as Linux reports it, against our reading of cpuid leaf 0.
TEST(KernelCpuFeatures, VendorAgreesWithLinux) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("vendor_id", 0) != 0) continue;
    const bool intel = line.find("GenuineIntel") != std::string::npos;
    EXPECT_EQ(cpu_features().intel, intel) << line;
    return;
  }
  GTEST_SKIP() << "no vendor_id line in /proc/cpuinfo";
}

// Linux lists in /proc/cpuinfo the features that both the CPU has and the
// kernel enabled (it drops AVX-512 flags when it does not save ZMM state): an
// independent check of our cpuid + xgetbv decoding.
TEST(KernelCpuFeatures, AgreeWithTheFlagsLinuxReports) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  if (flags.empty()) GTEST_SKIP() << "no flags line in /proc/cpuinfo";
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(f.avx, flags.count("avx") == 1);
  EXPECT_EQ(f.avx2, flags.count("avx2") == 1);
  EXPECT_EQ(f.fma, flags.count("fma") == 1);
  EXPECT_EQ(f.f16c, flags.count("f16c") == 1);
  EXPECT_EQ(f.avx_vnni, flags.count("avx_vnni") == 1);
  EXPECT_EQ(f.avx512f, flags.count("avx512f") == 1);
  EXPECT_EQ(f.avx512bw, flags.count("avx512bw") == 1);
  EXPECT_EQ(f.avx512dq, flags.count("avx512dq") == 1);
  EXPECT_EQ(f.avx512vl, flags.count("avx512vl") == 1);
  EXPECT_EQ(f.avx512_vnni, flags.count("avx512_vnni") == 1);
  EXPECT_EQ(f.avx512_bf16, flags.count("avx512_bf16") == 1);
}
#endif

}  // namespace
}  // namespace llamafast::kernels
