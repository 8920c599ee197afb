"""Independent float64 reference implementation of the Llama forward pass.

Written for readability, not speed: the whole (causal) sequence is run at once
and greedy decoding recomputes everything each step.  It is the oracle the C++
engine is tested against, so every convention is spelled out in comments.

Weights use Meta naming (see WEIGHT NAMES below) and are float64 torch tensors.
"""
import math
from dataclasses import dataclass, asdict
from typing import Optional

import torch

# WEIGHT NAMES (Meta):
#   tok_embeddings.weight                 [vocab, dim]
#   layers.N.attention_norm.weight        [dim]
#   layers.N.attention.wq.weight          [n_heads*head_dim, dim]
#   layers.N.attention.wk.weight          [n_kv_heads*head_dim, dim]
#   layers.N.attention.wv.weight          [n_kv_heads*head_dim, dim]
#   layers.N.attention.wo.weight          [dim, n_heads*head_dim]
#   layers.N.ffn_norm.weight              [dim]
#   layers.N.feed_forward.w1.weight       [hidden, dim]   (gate)
#   layers.N.feed_forward.w2.weight       [dim, hidden]   (down)
#   layers.N.feed_forward.w3.weight       [hidden, dim]   (up)
#   norm.weight                           [dim]
#   output.weight                         [vocab, dim]    (absent when tied)


@dataclass
class Config:
    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    head_dim: Optional[int] = None  # None -> dim // n_heads
    max_seq_len: int = 128
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    # None, or a Llama-3.1 style dict: {"rope_type": "llama3", "factor",
    # "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}
    rope_scaling: Optional[dict] = None
    tied: bool = False  # output head shares tok_embeddings.weight
    sliding_window: Optional[int] = None
    # "interleaved": rotate pairs (x[2i], x[2i+1])      (Meta, llama2.c, gpt-fast)
    # "half":        rotate pairs (x[i], x[i+head_dim/2]) (Hugging Face)
    rope_layout: str = "interleaved"

    def __post_init__(self):
        if self.head_dim is None:
            self.head_dim = self.dim // self.n_heads
        assert self.n_heads % self.n_kv_heads == 0, "n_kv_heads must divide n_heads"
        assert self.head_dim % 2 == 0, "RoPE needs an even head_dim"
        assert self.rope_layout in ("interleaved", "half")

    def to_dict(self):
        return asdict(self)


@dataclass
class Model:
    config: Config
    weights: dict  # Meta names -> float64 tensors


def rms_norm(x, w, eps):
    # x * rsqrt(mean(x^2) + eps) * w, over the last dimension
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope_scaling_branch(wavelen, scaling):
    """Which branch of the llama3 frequency rule a wavelength falls in."""
    old = scaling["original_max_position_embeddings"]
    high_freq_wavelen = old / scaling["high_freq_factor"]
    low_freq_wavelen = old / scaling["low_freq_factor"]
    if wavelen < high_freq_wavelen:
        return "keep"      # short wavelengths (high frequencies): unchanged
    if wavelen > low_freq_wavelen:
        return "scale"     # long wavelengths (low frequencies): divided by factor
    return "smooth"        # in between: linear blend of the two


def rope_inv_freq(cfg):
    """Per-pair rotation frequencies, length head_dim/2.

    Base:    inv_freq[i] = theta ** (-2i / head_dim)
    llama3 scaling (Llama 3.1), with L = original_max_position_embeddings,
    wavelen = 2*pi / inv_freq:
        wavelen <  L / high_freq_factor  -> inv_freq                      ("keep")
        wavelen >  L / low_freq_factor   -> inv_freq / factor             ("scale")
        otherwise, s = (L / wavelen - low_freq_factor)
                       / (high_freq_factor - low_freq_factor)
                                         -> (1 - s) * inv_freq / factor + s * inv_freq
    Both boundaries belong to the "smooth" branch (where s is 0 or 1 anyway,
    so the result is continuous).
    """
    half = cfg.head_dim // 2
    inv = [cfg.rope_theta ** (-2.0 * i / cfg.head_dim) for i in range(half)]
    s = cfg.rope_scaling
    if s is not None:
        assert s.get("rope_type", s.get("type")) == "llama3", s
        factor, lo, hi = s["factor"], s["low_freq_factor"], s["high_freq_factor"]
        old = s["original_max_position_embeddings"]
        scaled = []
        for f in inv:
            wavelen = 2 * math.pi / f
            branch = rope_scaling_branch(wavelen, s)
            if branch == "keep":
                scaled.append(f)
            elif branch == "scale":
                scaled.append(f / factor)
            else:
                smooth = (old / wavelen - lo) / (hi - lo)
                scaled.append((1 - smooth) * f / factor + smooth * f)
        inv = scaled
    return torch.tensor(inv, dtype=torch.float64)


def apply_rope(x, positions, inv_freq, layout):
    """Rotate x [T, heads, head_dim] by angle position * inv_freq[i] per pair i."""
    ang = positions[:, None] * inv_freq[None, :]        # [T, head_dim/2]
    cos = ang.cos()[:, None, :]                         # broadcast over heads
    sin = ang.sin()[:, None, :]
    if layout == "interleaved":
        a, b = x[..., 0::2], x[..., 1::2]               # pair i = (2i, 2i+1)
        out = torch.empty_like(x)
        out[..., 0::2] = a * cos - b * sin
        out[..., 1::2] = a * sin + b * cos
        return out
    half = x.shape[-1] // 2
    a, b = x[..., :half], x[..., half:]                 # pair i = (i, i+half)
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


def attention_mask(T, sliding_window):
    """Boolean [T, T]: may query position p attend to key position j?

    Causal: j <= p.  Sliding window W (Mistral): additionally j > p - W, i.e.
    at most W keys *including the query's own position*.  This matches current
    Hugging Face transformers (masking_utils.sliding_window_overlay:
    kv_idx > q_idx - sliding_window, and-ed with the causal mask); note some
    older HF / flash-attention code paths attended W+1 keys.
    """
    p = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    allowed = j <= p
    if sliding_window is not None:
        allowed &= j > p - sliding_window
    return allowed


def to_bf16(t):
    """t rounded to the nearest bfloat16 (ties to even), kept in float64."""
    return t.to(torch.bfloat16).to(torch.float64)


def forward(model, tokens, bf16_activations=False, kv_dtype=None):
    """Logits [T, vocab] (float64) for every position of a token sequence.

    bf16_activations: every matrix product's input is rounded to bfloat16
    first, as in PyTorch's (and llama.cpp's) bf16 inference; the products and
    everything else stay float64.
    kv_dtype: None, or torch.float16 / torch.bfloat16 for a KV cache that
    stores keys (after RoPE) and values in that type: both are rounded to it
    (to nearest, ties to even) before attention uses them; queries are not.
    """
    cfg, W = model.config, model.weights

    def lin(h, name):
        return (to_bf16(h) if bf16_activations else h) @ W[name].T

    T = len(tokens)
    assert 0 < T <= cfg.max_seq_len
    nh, nkv, hd = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
    group = nh // nkv  # query heads per kv head

    x = W["tok_embeddings.weight"][torch.tensor(tokens, dtype=torch.long)]
    positions = torch.arange(T, dtype=torch.float64)
    inv_freq = rope_inv_freq(cfg)
    allowed = attention_mask(T, cfg.sliding_window)

    for l in range(cfg.n_layers):
        p = f"layers.{l}."
        h = rms_norm(x, W[p + "attention_norm.weight"], cfg.norm_eps)
        q = lin(h, p + "attention.wq.weight").view(T, nh, hd)
        k = lin(h, p + "attention.wk.weight").view(T, nkv, hd)
        v = lin(h, p + "attention.wv.weight").view(T, nkv, hd)
        q = apply_rope(q, positions, inv_freq, cfg.rope_layout)
        k = apply_rope(k, positions, inv_freq, cfg.rope_layout)
        if kv_dtype is not None:
            k = k.to(kv_dtype).to(torch.float64)
            v = v.to(kv_dtype).to(torch.float64)
        # GQA/MQA: query head i reads kv head i // group (Meta's and HF's
        # repeat_kv both repeat each kv head `group` times consecutively).
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        scores = torch.einsum("thd,shd->hts", q, k) / math.sqrt(hd)
        scores = scores.masked_fill(~allowed, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        o = torch.einsum("hts,shd->thd", probs, v).reshape(T, nh * hd)
        x = x + lin(o, p + "attention.wo.weight")

        h = rms_norm(x, W[p + "ffn_norm.weight"], cfg.norm_eps)
        gate = torch.nn.functional.silu(lin(h, p + "feed_forward.w1.weight"))
        up = lin(h, p + "feed_forward.w3.weight")
        x = x + lin(gate * up, p + "feed_forward.w2.weight")

    x = rms_norm(x, W["norm.weight"], cfg.norm_eps)
    return lin(x, "tok_embeddings.weight" if cfg.tied else "output.weight")


def greedy(model, prompt_tokens, n, return_logits=False):
    """Greedy continuation of n tokens (argmax; ties -> lowest id).

    Recomputes the full sequence each step.  With return_logits=True also
    returns the float64 logits row each choice was made from.
    """
    seq = list(prompt_tokens)
    rows = []
    for _ in range(n):
        row = forward(model, seq)[-1]
        rows.append(row)
        seq.append(int(torch.argmax(row)))
    cont = seq[len(prompt_tokens):]
    return (cont, rows) if return_logits else cont
