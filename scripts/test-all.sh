#!/usr/bin/env bash
# The whole test suite: release build, ASan+UBSan build, each kernel ISA level
# forced once, and a short run of every libFuzzer target.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release

# The model-level correctness tests once per kernel table below the best one
# (which the run above used): float and quantized weights, GGUF blocks, .llf
# exports. The scalar reference skips the quality tests, which are slow there
# and compare a table with itself.
model_tests='ModelReference|RealModel|LlfFixture|GgufModel|GgufQuant'
for isa in scalar avx2 avx2vnni avx512; do
  echo "== tests with LLAMAFAST_ISA=$isa"
  if [[ $isa == scalar ]]; then
    LLAMAFAST_ISA=$isa ctest --preset release -R "$model_tests"
  else
    LLAMAFAST_ISA=$isa ctest --preset release -R "$model_tests|QuantQuality"
  fi
done

cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan

scripts/fuzz.sh 20
