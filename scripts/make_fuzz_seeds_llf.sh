#!/usr/bin/env bash
# Writes the seed corpus of fuzz/fuzz_llf.cpp: small .llf files exported by
# llamafast itself from a test fixture, one per storage scheme.
#   scripts/make_fuzz_seeds_llf.sh [path/to/llamafast]
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${1:-build/release/tools/llamafast/llamafast}
src=tests/fixtures/models/llama2c_mqa/model.bin
out=fuzz/corpus/llf
mkdir -p "$out"
"$cli" export -m "$src" --no-tokenizer --dtype fp16 -o "$out/fp16.llf"
"$cli" export -m "$src" --no-tokenizer --quantize-linear int8 --quantize-embeddings int4 -o "$out/int8.llf"
"$cli" export -m "$src" --no-tokenizer --quantize-linear 8da4w --group-size 64 -o "$out/8da4w.llf"
