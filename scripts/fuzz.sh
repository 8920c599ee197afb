#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for N seconds (default 20)
# from its seed corpus in fuzz/corpus/<target>. Longer local runs: scripts/fuzz.sh 600
# The fuzz preset leaves the SIMD kernels out (LLAMAFAST_SIMD_KERNELS=OFF): the targets
# fuzz parsers, and clang spends over 15 minutes on the kernel files under coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
for bin in build/fuzz/fuzz/fuzz_*; do
  [[ -x "$bin" ]] || continue
  name=$(basename "$bin")
  work=$(mktemp -d)
  seeds=fuzz/corpus/${name#fuzz_}
  echo "== $name for ${seconds}s"
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$work" \
    $([[ -d "$seeds" ]] && echo "$seeds") 2>&1 | tail -n 3
  rm -rf "$work"
done
echo "fuzz: all targets ran without a crash"
