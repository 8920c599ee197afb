#!/usr/bin/env bash
# Writes tests/fixtures/text/aidreams_samples.txt: text in the aidreams260K model's
# own domain (../shared/models/aidreams260K), sampled from it at temperature 1 with
# fixed seeds, for measuring what quantization changes on that model (its training
# texts are not available). Needs a release build and ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${LLAMAFAST_CLI:-build/release/tools/llamafast/llamafast}
model=../shared/models/aidreams260K
for seed in $(seq 1 48); do
  "$cli" generate -m "$model/model.bin" -z "$model/tok512.bin" -p "" -n 127 --temperature 1.0 --seed "$seed" 2>/dev/null
  echo
done >tests/fixtures/text/aidreams_samples.txt
