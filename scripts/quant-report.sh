#!/usr/bin/env bash
# Measures what each quantization scheme costs: exports a model with every
# scheme, scores a text with each (llamafast perplexity --kl-base), and prints a
# Markdown table (KL divergence to the unquantized model, top-1 agreement,
# perplexity and its change). docs/quantization.md holds its output.
#   scripts/quant-report.sh MODEL TEXT [extra export options...]
# e.g. scripts/quant-report.sh models/demo models/demo/heldout.txt
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${LLAMAFAST_CLI:-build/release/tools/llamafast/llamafast}
model=$1 text=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$cli" export -m "$model" "$@" --dtype fp32 -o "$work/base.llf" 2>/dev/null
"$cli" perplexity -m "$work/base.llf" -f "$text" --kl-base "$work/base.lp" --json >"$work/base.json" 2>/dev/null

echo "| scheme | file bytes | ppl | Δppl | mean KL (nats) | p99 KL | top-1 agreement |"
echo "|---|---|---|---|---|---|---|"
row() {  # name, export options... (run options, such as the KV cache type, in $run_options)
  local name=$1
  shift
  "$cli" export -m "$model" "$@" -o "$work/q.llf" 2>/dev/null
  # shellcheck disable=SC2086  # run_options holds several words
  "$cli" perplexity -m "$work/q.llf" -f "$text" --kl-base "$work/base.lp" --json ${run_options:-} >"$work/q.json" 2>/dev/null
  python3 - "$name" "$(stat -c %s "$work/q.llf")" "$work/q.json" <<'PY'
import json, sys
name, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = json.load(open(path))
kl = r["kl"]
print(f"| {name} | {size:,} | {r['perplexity']:.4f} | {kl['delta_perplexity']:+.4f} | {kl['mean']:.2e} | "
      f"{kl['p99']:.2e} | {100 * kl['top1_agreement']:.2f}% |")
PY
}
row "fp32" "$@" --dtype fp32
row "bf16" "$@" --dtype bf16
row "bf16 + bf16 activations" "$@" --dtype bf16 --bf16-activations
row "int8" "$@" --quantize-linear int8
for g in 32 64 128 256; do row "int4 g$g" "$@" --quantize-linear int4 --group-size "$g"; done
row "8da8w" "$@" --quantize-linear 8da8w
row "8da4w g32" "$@" --quantize-linear 8da4w
row "8da4w g128" "$@" --quantize-linear 8da4w --group-size 128
row "int8 + int8 embeddings" "$@" --quantize-linear int8 --quantize-embeddings int8
row "int4 g32 + int4 embeddings" "$@" --quantize-linear int4 --quantize-embeddings int4
row "fp32 + int8 embeddings" "$@" --dtype fp32 --quantize-embeddings int8
run_options="--kv-cache f16" row "fp32 + f16 KV cache" "$@" --dtype fp32
run_options="--kv-cache bf16" row "fp32 + bf16 KV cache" "$@" --dtype fp32
run_options="--kv-cache f16" row "int4 g32 + f16 KV cache" "$@" --quantize-linear int4
