#!/usr/bin/python3
"""Regenerate the model fixtures in tests/fixtures/models/.

    /usr/bin/python3 scripts/reference/gen_fixtures.py

Deterministic: every fixture's weights, tokens and prompts come from a torch
Generator seeded from the fixture name, and every file is written in a fixed
order, so reruns produce identical bytes.  Each fixture is written, then read
back with the small readers in formats.py and re-run, so a writer bug (wrong
order, wrong layout, wrong RoPE permutation) fails here rather than in C++.
"""
import json
import math
import os
import shutil
import sys
import zlib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import formats  # noqa: E402
from formats import LAYER_WEIGHTS, META_SCALED_ROPE  # noqa: E402
from llama_ref import Config, Model, forward, greedy, rope_inv_freq, rope_scaling_branch, to_bf16  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "tests", "fixtures", "models")

N_TOKENS = 64      # logits are checked for this many positions
PROMPT_LEN = 8
N_GREEDY = 24
MIN_REL_GAP = 1e-3  # top1 - top2 >= MIN_REL_GAP * max|logit| at every greedy step
MIN_DISTINCT = 12   # a continuation stuck on one token would test little

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}

# Fixtures that also get the logits of a session whose KV cache stores f16 or
# bf16 (`--kv-cache f16|bf16`): GQA, a sliding window with HF-layout RoPE,
# and MHA over bf16 weights.
KV_CACHE_FIXTURES = {"llama2c_gqa_untied", "hf_mistral_window", "meta_pth_bf16"}
KV_CACHE_TYPES = {"f16": torch.float16, "bf16": torch.bfloat16}
# The C++ test compares how far the rounding moves the engine's logits with
# how far it moves these; so that it compares the rounding's effect and not
# float32 noise, each cache type must move every position's logits by at
# least this much of their max |logit|: 100 times the engine's float32
# agreement with this reference (about 1e-6).
KV_MIN_EFFECT = 1e-4

LLAMA3_SCALING = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0,
                  # 256 (not the real 8192) so that, with head_dim 8 and theta 5e5,
                  # the four frequencies hit all three branches: keep/smooth/scale/scale.
                  "original_max_position_embeddings": 256}

# (name, format, dtype, Config, extra writer options, what it covers)
FIXTURES = [
    ("llama2c_mha_shared", "llama2c", "float32",
     Config(dim=64, hidden_dim=172, n_layers=2, n_heads=4, n_kv_heads=4, vocab_size=301,
            max_seq_len=128, tied=True), {},
     "llama2.c legacy .bin, MHA (4 heads), shared classifier (positive vocab_size), "
     "hidden 172 (not a multiple of 32), odd vocab 301."),
    ("llama2c_gqa_untied", "llama2c", "float32",
     Config(dim=64, hidden_dim=96, n_layers=2, n_heads=8, n_kv_heads=2, vocab_size=256,
            max_seq_len=128, tied=False), {},
     "llama2.c, GQA 8 heads / 2 kv heads (4:1), separate classifier (negative vocab_size)."),
    ("llama2c_mqa", "llama2c", "float32",
     Config(dim=64, hidden_dim=64, n_layers=2, n_heads=4, n_kv_heads=1, vocab_size=128,
            max_seq_len=64, tied=True), {},
     "llama2.c, MQA 4 heads / 1 kv head, seq_len 64 (exactly the number of test tokens)."),
    ("hf_f32_llama3rope", "hf", "float32",
     Config(dim=64, hidden_dim=96, n_layers=2, n_heads=8, n_kv_heads=2, vocab_size=160,
            max_seq_len=128, norm_eps=1e-5, rope_theta=500000.0, rope_scaling=LLAMA3_SCALING,
            tied=False, rope_layout="half"), {},
     "HF single model.safetensors, F32, GQA 4:1, untied lm_head, rope_theta 500000, "
     "llama3 rope_scaling with original_max_position_embeddings 256 so the 4 RoPE "
     "frequencies (head_dim 8) hit the keep / smooth / scale / scale branches."),
    ("hf_bf16_tied", "hf", "bfloat16",
     Config(dim=64, hidden_dim=128, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=200,
            max_seq_len=128, norm_eps=1e-6, tied=True, rope_layout="half"), {},
     "HF, BF16 tensors, tie_word_embeddings true (no lm_head.weight), rms_norm_eps 1e-6."),
    ("hf_f16_headdim_sharded", "hf", "float16",
     Config(dim=64, hidden_dim=128, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=32,
            vocab_size=160, max_seq_len=128, tied=False, rope_layout="half"),
     {"n_shards": 2},
     "HF, F16 tensors, head_dim 32 with dim 64 / 4 heads (n_heads*head_dim = 128 != dim), "
     "2 shards + model.safetensors.index.json."),
    ("hf_mistral_window", "hf", "float32",
     Config(dim=64, hidden_dim=96, n_layers=2, n_heads=8, n_kv_heads=2, vocab_size=128,
            max_seq_len=128, rope_theta=1000000.0, sliding_window=16, tied=False,
            rope_layout="half"), {},
     "MistralForCausalLM, sliding_window 16 (64 test tokens and 32-token greedy runs "
     "exceed it), GQA 4:1, F32, rope_theta 1e6."),
    ("meta_pth_single", "meta_pth", "float32",
     Config(dim=64, hidden_dim=128, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=128,
            max_seq_len=128, rope_theta=500000.0, rope_scaling=META_SCALED_ROPE),
     {"multiple_of": 32, "ffn_dim_multiplier": 0.75},
     "Meta consolidated.00.pth + params.json (Llama 3.1 style): use_scaled_rope true "
     "(factor 8, low 1, high 4, old context 8192; head_dim 16 and theta 5e5 hit all three "
     "branches), ffn_dim_multiplier 0.75 -> hidden 128."),
    ("meta_pth_2shard", "meta_pth", "float32",
     Config(dim=64, hidden_dim=96, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=128,
            max_seq_len=128), {"multiple_of": 32, "ffn_dim_multiplier": 0.5, "n_shards": 2},
     "Meta 2-way model-parallel checkpoint (Llama 2 style): consolidated.00/01.pth; "
     "wq wk wv w1 w3 output split on dim 0, wo w2 and tok_embeddings split on dim 1, "
     "norms replicated."),
    ("meta_pth_bf16", "meta_pth", "bfloat16",
     Config(dim=64, hidden_dim=128, n_layers=2, n_heads=4, n_kv_heads=4, vocab_size=128,
            max_seq_len=128, rope_theta=500000.0),
     {"multiple_of": 64, "ffn_dim_multiplier": 0.5},
     "Meta single-shard checkpoint with bfloat16 tensors (like the released ones), MHA, "
     "multiple_of 64."),
    ("gptfast_pth", "gptfast_pth", "float32",
     Config(dim=64, hidden_dim=96, n_layers=2, n_heads=8, n_kv_heads=2, vocab_size=128,
            max_seq_len=128), {},
     "gpt-fast / torchchat model.pth with fused attention.wqkv (q, k, v along dim 0, "
     "interleaved RoPE rows); model_args.json holds gpt-fast ModelArgs fields."),
]


def make_weights(cfg, gen):
    """Random float64 weights, scaled so activations stay O(1), attention is
    not uniform and logits have a spread of a few units (so bugs show).

    The attention/FFN outputs (wo, w2) are scaled up x2 and the embeddings
    kept small: otherwise the residual is dominated by the input token's own
    embedding and tied models just repeat their last token when decoding."""
    def randn(*shape, std):
        return torch.randn(*shape, generator=gen, dtype=torch.float64) * std

    d, hid, qd, kvd = cfg.dim, cfg.hidden_dim, cfg.n_heads * cfg.head_dim, cfg.n_kv_heads * cfg.head_dim
    shapes = {"attention.wq.weight": ((qd, d), 1.5 / math.sqrt(d)),
              "attention.wk.weight": ((kvd, d), 1.5 / math.sqrt(d)),
              "attention.wv.weight": ((kvd, d), 1 / math.sqrt(d)),
              "attention.wo.weight": ((d, qd), 2 / math.sqrt(qd)),
              "feed_forward.w1.weight": ((hid, d), 1 / math.sqrt(d)),
              "feed_forward.w2.weight": ((d, hid), 2 / math.sqrt(hid)),
              "feed_forward.w3.weight": ((hid, d), 1 / math.sqrt(d))}
    W = {"tok_embeddings.weight": randn(cfg.vocab_size, d, std=0.35)}
    for l in range(cfg.n_layers):
        for n in LAYER_WEIGHTS:
            if n.endswith("norm.weight"):
                W[f"layers.{l}.{n}"] = 1.0 + randn(d, std=0.2)  # norms ~1, not exactly
            else:
                shape, std = shapes[n]
                W[f"layers.{l}.{n}"] = randn(*shape, std=std)
    W["norm.weight"] = 1.0 + randn(d, std=0.2)
    if not cfg.tied:
        W["output.weight"] = randn(cfg.vocab_size, d, std=3 / math.sqrt(d))
    return W


def make_tokens(vocab, gen):
    t = torch.randint(vocab, (N_TOKENS,), generator=gen).tolist()
    t[5], t[41] = 0, vocab - 1  # make sure both ends of the vocab are exercised
    return t


def pick_greedy(model, gen):
    """Seeded search for a prompt whose greedy run has no near-ties (so float32
    vs float64 differences cannot flip a choice) and is not degenerate."""
    for attempt in range(100):
        prompt = torch.randint(model.config.vocab_size, (PROMPT_LEN,), generator=gen).tolist()
        cont, rows = greedy(model, prompt, N_GREEDY, return_logits=True)
        gaps = []
        for r in rows:
            top = torch.topk(r, 2).values
            gaps.append(((top[0] - top[1]).item(), r.abs().max().item()))
        if all(g >= MIN_REL_GAP * m for g, m in gaps) and len(set(cont)) >= MIN_DISTINCT:
            return prompt, cont, min(g for g, _ in gaps), attempt
    raise RuntimeError("no robust greedy prompt found")


def check_rope_branches(cfg):
    """Make sure a scaled-RoPE fixture really exercises every branch."""
    if cfg.rope_scaling is None:
        return None
    base = Config(**{**cfg.to_dict(), "rope_scaling": None})
    branches = [rope_scaling_branch(2 * math.pi / f, cfg.rope_scaling)
                for f in rope_inv_freq(base).tolist()]
    assert set(branches) == {"keep", "smooth", "scale"}, branches
    return branches


def write_model(fmt, d, cfg, W, dtype, opts):
    """Write the model files; return (expected.json entries, read-back Model)."""
    if fmt == "llama2c":
        formats.write_llama2c(os.path.join(d, "model.bin"), cfg, W)
        return {"model": "model.bin"}, formats.read_llama2c(os.path.join(d, "model.bin"))
    if fmt == "hf":
        formats.write_hf(d, cfg, W, dtype, opts.get("n_shards", 1))
        return {"model": "."}, formats.read_hf(d)
    if fmt == "meta_pth":
        params = formats.meta_params(cfg, opts["multiple_of"], opts["ffn_dim_multiplier"])
        formats.write_meta_pth(d, cfg, W, params, dtype, opts.get("n_shards", 1))
        return ({"model": ".", "params": "params.json"},
                formats.read_meta_pth(d, cfg.max_seq_len))
    if fmt == "gptfast_pth":
        formats.write_gptfast(os.path.join(d, "model.pth"), cfg, W, dtype)
        with open(os.path.join(d, "model_args.json"), "w") as f:
            json.dump(formats.gptfast_args(cfg), f, indent=2)
            f.write("\n")
        return ({"model": "model.pth", "params": "model_args.json"},
                formats.read_gptfast(os.path.join(d, "model.pth"),
                                     os.path.join(d, "model_args.json")))
    raise ValueError(fmt)


def dump_expected(path, exp):
    # One key per line, values compact: readable diffs, no 64-line token lists.
    lines = [f"  {json.dumps(k)}: {json.dumps(v, separators=(', ', ': '))}"
             for k, v in exp.items()]
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def build(name, fmt, dtype_name, cfg, opts):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    dtype = DTYPES[dtype_name]

    # The reference runs on exactly the values stored in the file.
    W = formats.round_to(make_weights(cfg, gen), dtype)
    meta_cfg = Config(**{**cfg.to_dict(), "rope_layout": "interleaved"})
    model = Model(meta_cfg, W)
    branches = check_rope_branches(meta_cfg)

    tokens = make_tokens(cfg.vocab_size, gen)
    logits = forward(model, tokens)
    prompt, cont, min_gap, attempts = pick_greedy(model, gen)

    entries, back = write_model(fmt, d, meta_cfg, W, dtype, opts)
    # Read-back check.  For HF this runs the "half" RoPE convention on the
    # permuted q/k rows and must match the interleaved run on Meta rows.
    assert back.config.to_dict() == cfg.to_dict(), (back.config, cfg)
    assert set(back.weights) == set(W), set(back.weights) ^ set(W)
    diff = (forward(back, tokens) - logits).abs().max().item()
    assert diff < 1e-9, f"{name}: read-back logits differ by {diff}"

    # What `llamafast export --dtype bf16 --bf16-activations` of this model
    # computes: every matrix rounded to bf16 and every matrix product's input
    # too (norm weights stay as stored).
    W16 = {k: to_bf16(v) if v.dim() == 2 else v for k, v in W.items()}
    logits_bf16 = forward(Model(meta_cfg, W16), tokens, bf16_activations=True)

    kv_entries, kv_notes = {}, []
    if name in KV_CACHE_FIXTURES:
        for kv_name, kv_dtype in KV_CACHE_TYPES.items():
            kv_logits = forward(model, tokens, kv_dtype=kv_dtype)
            moved = ((kv_logits - logits).abs().max(dim=1).values
                     / logits.abs().max(dim=1).values).min().item()
            assert moved > KV_MIN_EFFECT, f"{name}: a {kv_name} cache moves logits by only {moved}"
            kv_entries[kv_name] = f"logits_kv_{kv_name}.f32"
            with open(os.path.join(d, kv_entries[kv_name]), "wb") as f:
                f.write(formats.le_bytes(kv_logits.to(torch.float32)))
            kv_notes.append(f"{kv_name} KV cache moves every position's logits by >= {moved:.1e}")

    with open(os.path.join(d, "logits.f32"), "wb") as f:
        f.write(formats.le_bytes(logits.to(torch.float32)))
    with open(os.path.join(d, "logits_bf16_activations.f32"), "wb") as f:
        f.write(formats.le_bytes(logits_bf16.to(torch.float32)))
    exp = {"format": fmt, **entries, "dtype": dtype_name,
           "config": cfg.to_dict(), "tokens": tokens,
           "logits": "logits.f32", "logits_shape": [N_TOKENS, cfg.vocab_size],
           "logits_bf16_activations": "logits_bf16_activations.f32",
           **({"logits_kv_cache": kv_entries} if kv_entries else {}),
           "greedy": {"prompt": prompt, "continuation": cont},
           "greedy_min_gap": round(min_gap, 6)}
    dump_expected(os.path.join(d, "expected.json"), exp)
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f"{name:24s} {size / 1024:7.1f} KiB  |logit|max {logits.abs().max():6.2f}  "
          f"greedy gap {min_gap:.4f} (prompt try {attempts})"
          + (f"  rope branches {branches}" if branches else ""))
    for note in kv_notes:
        print(f"{'':26s} {note} of max |logit|")


README = """\
# Model fixtures

Tiny random-weight Llama models in every on-disk format the engine loads, each
with the logits and greedy continuation computed by the independent float64
PyTorch reference in `scripts/reference/`.  **Generated files - do not edit.**
Regenerate (needs `apt-get install python3-torch python3-numpy`; deterministic,
same bytes every run):

    /usr/bin/python3 scripts/reference/gen_fixtures.py

`/usr/bin/python3 scripts/reference/selftest.py` re-checks every fixture with a
second, token-by-token (KV cache) implementation.

## Fixtures

| name | format | dtype | covers |
|------|--------|-------|--------|
{rows}

## Files in each fixture directory

- the model: `model.bin` (llama2c), `config.json` + `*.safetensors` (hf),
  `params.json` + `consolidated.NN.pth` (meta_pth), `model.pth` +
  `model_args.json` (gptfast_pth).
- `logits.f32`: raw little-endian float32 `[64, vocab]`, the logits of every
  position of `tokens` (float64 reference rounded to float32).
- `logits_bf16_activations.f32`: the same for the model as `llamafast export
  --dtype bf16 --bf16-activations` stores it: every matrix rounded to bf16,
  and every matrix product's input rounded to bf16 before it is multiplied.
- `logits_kv_f16.f32`, `logits_kv_bf16.f32` (three fixtures): the same for a
  session whose KV cache stores f16 or bf16 (`--kv-cache`): keys (after
  RoPE) and values rounded to that type, to nearest, before attention.
- `expected.json`:
  - `format`: `llama2c` | `hf` | `meta_pth` | `gptfast_pth`
  - `model`: model file or directory relative to the fixture dir; `params`:
    the params file for the .pth formats
  - `dtype`: dtype of the stored weights (`float32`, `float16`, `bfloat16`).
    The expected values are computed from exactly the stored (rounded) weights.
  - `config`: dim, hidden_dim, n_layers, n_heads, n_kv_heads, head_dim,
    vocab_size, max_seq_len, norm_eps, rope_theta, rope_scaling (null or the
    llama3 dict), tied, sliding_window (null or W), rope_layout (`interleaved`
    for Meta-layout q/k rows, `half` for HF layout) - as stored in the file
  - `tokens` (64 ids, include 0 and vocab-1), `logits`, `logits_shape`,
    `logits_bf16_activations`, and where present `logits_kv_cache`
    (`{{"f16": file, "bf16": file}}`)
  - `greedy`: `prompt` (8 ids) and `continuation` (24 greedy ids, argmax).
    Chosen so that at every step top1 - top2 >= 1e-3 * max|logit|;
    `greedy_min_gap` is the smallest absolute top1 - top2 gap seen.

## Conventions (the C++ engine must match)

- Sliding window W: query position p attends to keys j with p - W < j <= p
  (W keys including itself), as current Hugging Face transformers does.
- llama3 RoPE scaling, L = original_max_position_embeddings,
  wavelen = 2*pi/inv_freq: wavelen < L/high_freq_factor -> unchanged;
  wavelen > L/low_freq_factor -> inv_freq/factor; otherwise
  s = (L/wavelen - low_freq_factor)/(high_freq_factor - low_freq_factor),
  inv_freq' = (1-s)*inv_freq/factor + s*inv_freq.
- Meta `use_scaled_rope: true` means factor 8, low_freq_factor 1,
  high_freq_factor 4, original_max_position_embeddings 8192.
- GQA: query head h uses kv head h // (n_heads / n_kv_heads).
- Meta hidden size: hidden = int(8*dim/3); if ffn_dim_multiplier:
  hidden = int(ffn_dim_multiplier*hidden); round up to a multiple of multiple_of.
- Meta model-parallel shards: tok_embeddings is split on dim 1 (Llama 2
  ParallelEmbedding; note Llama 3 uses VocabParallelEmbedding, dim 0).
- .pth files are torch.save zip archives written by torch 1.13; the archive's
  top folder is named after the file (e.g. `consolidated.00/data.pkl`).
"""


def main():
    torch.set_num_threads(1)  # shared machine; also keeps the math deterministic
    os.makedirs(OUT, exist_ok=True)
    names = {f[0] for f in FIXTURES}
    for old in os.listdir(OUT):  # drop generated fixtures that no longer exist
        if old not in names and os.path.exists(os.path.join(OUT, old, "expected.json")):
            shutil.rmtree(os.path.join(OUT, old))
    rows = []
    for name, fmt, dtype_name, cfg, opts, covers in FIXTURES:
        build(name, fmt, dtype_name, cfg, opts)
        rows.append(f"| `{name}` | {fmt} | {dtype_name} | {covers} |")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(README.format(rows="\n".join(rows)))


if __name__ == "__main__":
    main()
