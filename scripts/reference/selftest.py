#!/usr/bin/python3
"""Cross-check the reference and the committed fixtures with a second,
deliberately different implementation:

  * token-by-token decoding with a KV cache (what the C++ engine does),
    explicit loops over heads and keys, the window as an index range;
  * RoPE as complex multiplication instead of the real-valued rotation.

Each fixture directory is loaded back through the readers in formats.py and
must reproduce logits.f32 (to float32 precision) and the greedy continuation.

    /usr/bin/python3 scripts/reference/selftest.py
"""
import json
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import formats  # noqa: E402
from llama_ref import Config, rope_inv_freq, rope_scaling_branch  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "fixtures", "models")


def rope_complex(x, pos, inv_freq, layout):
    """x [heads, head_dim]: rotate pair i by pos*inv_freq[i] as a complex product."""
    half = x.shape[-1] // 2
    if layout == "interleaved":
        z = torch.view_as_complex(x.reshape(x.shape[0], half, 2).contiguous())
    else:
        z = torch.complex(x[:, :half], x[:, half:])
    z = z * torch.polar(torch.ones_like(inv_freq), pos * inv_freq)
    if layout == "interleaved":
        return torch.view_as_real(z).reshape(x.shape)
    return torch.cat([z.real, z.imag], dim=-1)


def rms(x, w, eps):
    return w * x / math.sqrt(float((x * x).mean()) + eps)


class Decoder:
    """Feeds one token at a time through the model, keeping a KV cache."""

    def __init__(self, model):
        self.cfg, self.W = model.config, model.weights
        self.inv = rope_inv_freq(self.cfg)
        self.cache = [([], []) for _ in range(self.cfg.n_layers)]
        self.pos = 0

    def step(self, tok):
        cfg, W, pos = self.cfg, self.W, self.pos
        x = W["tok_embeddings.weight"][tok].clone()
        for l in range(cfg.n_layers):
            p = f"layers.{l}."
            h = rms(x, W[p + "attention_norm.weight"], cfg.norm_eps)
            q = (W[p + "attention.wq.weight"] @ h).view(cfg.n_heads, cfg.head_dim)
            k = (W[p + "attention.wk.weight"] @ h).view(cfg.n_kv_heads, cfg.head_dim)
            v = (W[p + "attention.wv.weight"] @ h).view(cfg.n_kv_heads, cfg.head_dim)
            q = rope_complex(q, pos, self.inv, cfg.rope_layout)
            k = rope_complex(k, pos, self.inv, cfg.rope_layout)
            K, V = self.cache[l]
            K.append(k)
            V.append(v)
            first = 0 if cfg.sliding_window is None else max(0, pos - cfg.sliding_window + 1)
            o = torch.zeros(cfg.n_heads, cfg.head_dim, dtype=torch.float64)
            for hh in range(cfg.n_heads):
                kv = hh * cfg.n_kv_heads // cfg.n_heads
                s = torch.tensor([float(q[hh] @ K[j][kv]) for j in range(first, pos + 1)],
                                 dtype=torch.float64) / math.sqrt(cfg.head_dim)
                s = torch.exp(s - s.max())
                s = s / s.sum()
                for i, j in enumerate(range(first, pos + 1)):
                    o[hh] += s[i] * V[j][kv]
            x = x + W[p + "attention.wo.weight"] @ o.flatten()
            h = rms(x, W[p + "ffn_norm.weight"], cfg.norm_eps)
            a = W[p + "feed_forward.w1.weight"] @ h
            b = W[p + "feed_forward.w3.weight"] @ h
            x = x + W[p + "feed_forward.w2.weight"] @ (a / (1 + torch.exp(-a)) * b)
        self.pos += 1
        head = W["tok_embeddings.weight"] if cfg.tied else W["output.weight"]
        return head @ rms(x, W["norm.weight"], cfg.norm_eps)


def load(d, exp):
    m = exp["model"]
    if exp["format"] == "llama2c":
        return formats.read_llama2c(os.path.join(d, m))
    if exp["format"] == "hf":
        return formats.read_hf(os.path.join(d, m))
    if exp["format"] == "meta_pth":
        return formats.read_meta_pth(os.path.join(d, m), exp["config"]["max_seq_len"])
    return formats.read_gptfast(os.path.join(d, m), os.path.join(d, exp["params"]))


def check_llama3_formula():
    # The smooth branch must meet the other two at its boundaries.
    s = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
         "high_freq_factor": 4.0, "original_max_position_embeddings": 256}
    assert rope_scaling_branch(63.9, s) == "keep" and rope_scaling_branch(64.0, s) == "smooth"
    assert rope_scaling_branch(256.0, s) == "smooth" and rope_scaling_branch(256.1, s) == "scale"
    cfg = Config(dim=64, hidden_dim=8, n_layers=1, n_heads=8, n_kv_heads=2,
                 vocab_size=2, rope_theta=500000.0, rope_scaling=s)
    f = 500000.0 ** -0.25                      # pair 1, wavelength ~167: smooth
    smooth = (256 / (2 * math.pi / f) - 1) / 3
    want = [1.0, (1 - smooth) * f / 8 + smooth * f, 500000.0 ** -0.5 / 8, 500000.0 ** -0.75 / 8]
    assert torch.allclose(rope_inv_freq(cfg), torch.tensor(want, dtype=torch.float64),
                          rtol=1e-15, atol=0)


def main():
    torch.set_num_threads(1)
    check_llama3_formula()
    passed = failed = 0
    for name in sorted(os.listdir(FIXTURES)):
        d = os.path.join(FIXTURES, name)
        if not os.path.isdir(d):
            continue
        exp = json.load(open(os.path.join(d, "expected.json")))
        model = load(d, exp)
        assert model.config.to_dict() == exp["config"], name
        want = np.fromfile(os.path.join(d, exp["logits"]), "<f4").reshape(exp["logits_shape"])
        dec = Decoder(model)
        got = torch.stack([dec.step(t) for t in exp["tokens"]]).numpy()
        err = np.abs(got - want).max() / np.abs(want).max()
        g = exp["greedy"]
        dec = Decoder(model)
        for t in g["prompt"][:-1]:
            dec.step(t)
        cont, t = [], g["prompt"][-1]
        for _ in g["continuation"]:
            t = int(torch.argmax(dec.step(t)))
            cont.append(t)
        ok = err < 1e-6 and cont == g["continuation"]
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name:24s} max rel err {err:.2e}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
