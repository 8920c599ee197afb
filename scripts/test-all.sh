#!/usr/bin/env bash
# The whole test suite: release build, ASan+UBSan build, each kernel ISA level
# forced once, and a short run of every libFuzzer target.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release

# The correctness suite once per kernel ISA level this CPU can run.
for isa in scalar avx2; do
  echo "== tests with LLAMAFAST_ISA=$isa"
  LLAMAFAST_ISA=$isa ctest --preset release -R 'ModelReference|RealModel' 
done

cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan

scripts/fuzz.sh 20
