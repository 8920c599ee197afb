#!/usr/bin/env bash
# Regenerates the end-to-end table of docs/benchmarks.md: every model shape x
# weight scheme written as a random-weight .llf by `llamafast init-random`,
# then measured by `llamafast bench` (prefill pp, decode tg, decode roofline
# ratio against the read bandwidth the tool measures in the same run, peak RSS).
#
#   scripts/bench-all.sh [WORKDIR]        (default /tmp/llamafast-bench)
#
# Environment: SHAPES, SCHEMES (subsets of the lists below), THREADS (2),
# REPS (5), PROMPT (128), GEN (64), DEPTH (0: positions already cached when
# each test starts), KV (the KV cache type: f32, f16 or bf16); KEEP=1 reuses the results already in
# WORKDIR (to resume an interrupted run) and measures only the missing ones.
# Each model is deleted after its run, so WORKDIR needs room for the largest
# one only. A model whose file would not fit
# in RAM with room to spare (Llama-2-7B at fp32 on a 24 GB machine) is listed
# as skipped, with the reason. Writes WORKDIR/results.md and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
llamafast=${LLAMAFAST:-build/release/tools/llamafast/llamafast}
work=${1:-/tmp/llamafast-bench}
shapes=${SHAPES:-"stories110m tinyllama-1.1b llama-3.2-1b llama-2-7b"}
schemes=${SCHEMES:-"fp32 bf16 bf16a int8 8da8w int4 8da4w"}
threads=${THREADS:-2}
reps=${REPS:-5}
prompt=${PROMPT:-128}
gen=${GEN:-64}
depth=${DEPTH:-0}
kv=${KV:-f32}
mkdir -p "$work"

scheme_args() {
  case $1 in
    fp32) echo "--dtype fp32" ;;
    bf16) echo "--dtype bf16" ;;
    bf16a) echo "--dtype bf16 --bf16-activations" ;;
    int8) echo "--quantize-linear int8" ;;
    int4) echo "--quantize-linear int4 --group-size 32" ;;
    8da4w) echo "--quantize-linear 8da4w --group-size 32" ;;
    8da8w) echo "--quantize-linear 8da8w" ;;
    *) echo "unknown scheme $1" >&2; exit 2 ;;
  esac
}

# Matrix parameters of each shape (for the RAM check before writing a file).
params() {
  case $1 in
    stories110m) echo 110000000 ;;
    tinyllama-1.1b) echo 1100000000 ;;
    llama-3.2-1b) echo 1240000000 ;;
    llama-2-7b) echo 6740000000 ;;
  esac
}

ram=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) * 1024 ))
for shape in $shapes; do
  for scheme in $schemes; do
    name=$shape-$scheme
    if [[ ${KEEP:-0} == 1 && -s $work/$name.json ]] && ! grep -q skipped "$work/$name.json"; then
      continue
    fi
    case $scheme in  # tenths of a byte per parameter
      fp32) tenths=40 ;;
      bf16 | bf16a) tenths=20 ;;
      int8 | 8da8w) tenths=11 ;;
      *) tenths=6 ;;
    esac
    file=$(( $(params "$shape") * tenths / 10 ))
    if (( file > ram * 3 / 4 )); then
      echo "{\"skipped\": \"the $scheme file (~$(( file / 1000000000 )) GB) does not fit in 3/4 of this machine's $(( ram / 1000000000 )) GB of RAM\"}" \
        > "$work/$name.json"
      continue
    fi
    echo "== $name" >&2
    # shellcheck disable=SC2046
    "$llamafast" init-random --shape "$shape" $(scheme_args "$scheme") -o "$work/$name.llf" >&2
    stat -c %s "$work/$name.llf" > "$work/$name.size"
    sync  # no writeback of the new file while it is measured
    "$llamafast" bench -m "$work/$name.llf" -p "$prompt" -n "$gen" -d "$depth" --kv-cache "$kv" -r "$reps" \
      --threads "$threads" --json \
      > "$work/$name.json"
    rm -f "$work/$name.llf"
  done
done

python3 - "$work" "$threads" "$reps" "$prompt" "$gen" "$shapes" "$schemes" "$depth" "$kv" <<'PY' | tee "$work/results.md"
import json, os, sys
work, threads, reps, prompt, gen, shapes, schemes, depth, kv = sys.argv[1:]
run_options = (f" -d {depth}" if depth != "0" else "") + (f" --kv-cache {kv}" if kv != "f32" else "")
print(f"| model | weights | file GiB | pp{prompt} tok/s | tg{gen} tok/s | decode GB/s | read bandwidth GB/s | roofline | peak RSS MiB | file + KV + 64 MiB |")
print("|---|---|---|---|---|---|---|---|---|---|")
for shape in shapes.split():
    for scheme in schemes.split():
        j = json.load(open(os.path.join(work, f"{shape}-{scheme}.json")))
        if "skipped" in j:
            print(f"| {shape} | {scheme} | — | — | — | — | — | — | — | skipped: {j['skipped']} |")
            continue
        size = int(open(os.path.join(work, f"{shape}-{scheme}.size")).read())
        budget = size + j["kv_cache_bytes"] + 64 * 2**20
        gbs = j["bytes_per_token"] * j["tg_tok_s"] / 1e9
        ok = "" if j["peak_rss_bytes"] <= budget else " (over)"
        print(f"| {shape} | {scheme} | {size / 2**30:.2f} | {j['pp_tok_s']:.1f} ± {j['pp_tok_s_stddev']:.1f} | "
              f"{j['tg_tok_s']:.1f} ± {j['tg_tok_s_stddev']:.1f} | {gbs:.1f} | {j['read_bandwidth_bytes_s'] / 1e9:.1f} | "
              f"{100 * j['decode_roofline_ratio']:.0f}% | {j['peak_rss_bytes'] / 2**20:.0f} | {budget / 2**20:.0f}{ok} |")
print()
print(f"Each row: `llamafast init-random --shape MODEL <scheme options> -o M.llf` then "
      f"`llamafast bench -m M.llf -p {prompt} -n {gen}{run_options} -r {reps} --threads {threads}` "
      f"(mean ± standard deviation over {reps} repetitions after a warm-up).")
PY
