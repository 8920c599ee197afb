"""Writers (and small readers used only to self-check the writers) for the
on-disk model formats the C++ engine loads.

All writers take a llama_ref.Config and float64 weights in Meta naming with
the Meta/"interleaved" RoPE row layout for wq/wk, and convert as the format
requires.  Everything is little-endian.
"""
import json
import os
import struct

import numpy as np
import torch

from llama_ref import Config, Model

# ---------------------------------------------------------------- helpers

# Per-layer Meta weight suffixes, in Meta checkpoint order.
LAYER_WEIGHTS = ["attention.wq.weight", "attention.wk.weight", "attention.wv.weight",
                 "attention.wo.weight", "feed_forward.w1.weight", "feed_forward.w2.weight",
                 "feed_forward.w3.weight", "attention_norm.weight", "ffn_norm.weight"]


def meta_to_hf_rows(w, n_heads, head_dim):
    """Reorder wq/wk rows from Meta ("interleaved") to HF ("half") RoPE layout.

    Meta rotates pairs (2i, 2i+1) of each head, HF rotates (i, i+head_dim/2).
    So within each head, HF row i is Meta row 2i and HF row head_dim/2+i is
    Meta row 2i+1: rows [0, 2, 4, ..., 1, 3, 5, ...].
    """
    per_head = list(range(0, head_dim, 2)) + list(range(1, head_dim, 2))
    idx = [h * head_dim + r for h in range(n_heads) for r in per_head]
    return w[idx]


def round_to(W, dtype):
    """Round float64 weights to what a file of `dtype` stores, back as float64.

    Goes through float32 first, like a real float32 -> half conversion would.
    """
    return {k: v.to(torch.float32).to(dtype).to(torch.float64) for k, v in W.items()}


def le_bytes(t):
    """Raw little-endian bytes of a float32/float16/bfloat16 tensor."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret as int16
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<")).tobytes()


# ------------------------------------------------------------- llama2.c


def write_llama2c(path, cfg, W):
    """llama2.c legacy (version 0) checkpoint: 7 x int32 header + float32 arrays.

    A negative vocab_size in the header means a separate classifier (wcls)
    follows at the end; positive means it is shared with the embedding.
    """
    assert cfg.rope_layout == "interleaved" and cfg.head_dim * cfg.n_heads == cfg.dim
    assert cfg.rope_scaling is None and cfg.sliding_window is None
    assert cfg.rope_theta == 10000.0 and cfg.norm_eps == 1e-5  # fixed in run.c
    vocab = cfg.vocab_size if cfg.tied else -cfg.vocab_size
    L = range(cfg.n_layers)

    def f32(t):
        return le_bytes(t.to(torch.float32))

    def stacked(name):
        return f32(torch.stack([W[f"layers.{l}.{name}"] for l in L]))

    with open(path, "wb") as f:
        f.write(struct.pack("<7i", cfg.dim, cfg.hidden_dim, cfg.n_layers, cfg.n_heads,
                            cfg.n_kv_heads, vocab, cfg.max_seq_len))
        f.write(f32(W["tok_embeddings.weight"]))
        for name in ["attention_norm.weight", "attention.wq.weight", "attention.wk.weight",
                     "attention.wv.weight", "attention.wo.weight", "ffn_norm.weight",
                     "feed_forward.w1.weight", "feed_forward.w2.weight",
                     "feed_forward.w3.weight"]:
            f.write(stacked(name))
        f.write(f32(W["norm.weight"]))
        # Legacy freq_cis_real / freq_cis_imag [seq_len, head_size/2]: readers
        # skip them; we write the real values (theta 10000) for completeness.
        half = cfg.head_dim // 2
        inv = torch.tensor([10000.0 ** (-2.0 * i / cfg.head_dim) for i in range(half)],
                           dtype=torch.float64)
        ang = torch.arange(cfg.max_seq_len, dtype=torch.float64)[:, None] * inv[None, :]
        f.write(f32(ang.cos()))
        f.write(f32(ang.sin()))
        if not cfg.tied:
            f.write(f32(W["output.weight"]))


def read_llama2c(path):
    buf = open(path, "rb").read()
    dim, hidden, n_layers, nh, nkv, vocab, seq_len = struct.unpack_from("<7i", buf, 0)
    cfg = Config(dim=dim, hidden_dim=hidden, n_layers=n_layers, n_heads=nh, n_kv_heads=nkv,
                 vocab_size=abs(vocab), max_seq_len=seq_len, tied=vocab > 0)
    off = 28
    kv = cfg.head_dim * nkv

    def take(*shape):
        nonlocal off
        n = int(np.prod(shape))
        a = np.frombuffer(buf, "<f4", n, off).reshape(shape)
        off += 4 * n
        return torch.from_numpy(a.astype(np.float64))

    W = {"tok_embeddings.weight": take(cfg.vocab_size, dim)}
    shapes = [("attention_norm.weight", (dim,)), ("attention.wq.weight", (dim, dim)),
              ("attention.wk.weight", (kv, dim)), ("attention.wv.weight", (kv, dim)),
              ("attention.wo.weight", (dim, dim)), ("ffn_norm.weight", (dim,)),
              ("feed_forward.w1.weight", (hidden, dim)), ("feed_forward.w2.weight", (dim, hidden)),
              ("feed_forward.w3.weight", (hidden, dim))]
    for name, shape in shapes:
        t = take(n_layers, *shape)
        for l in range(n_layers):
            W[f"layers.{l}.{name}"] = t[l]
    W["norm.weight"] = take(dim)
    take(seq_len, cfg.head_dim // 2)
    take(seq_len, cfg.head_dim // 2)
    if not cfg.tied:
        W["output.weight"] = take(cfg.vocab_size, dim)
    assert off == len(buf), "trailing bytes"
    return Model(cfg, W)


# ------------------------------------------------------------ safetensors

ST_DTYPE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> tensor (already in the file dtype), kept in order.

    Layout: u64 LE header length N, N bytes of JSON (padded with spaces to a
    multiple of 8 so the data section is aligned), then the data section;
    data_offsets are [begin, end) relative to the start of the data section.
    """
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        b = le_bytes(t)
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    return offset


def read_safetensors(path):
    buf = open(path, "rb").read()
    (n,) = struct.unpack_from("<Q", buf, 0)
    header = json.loads(buf[8:8 + n])
    base, out = 8 + n, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = buf[base + b:base + e]
        if info["dtype"] == "BF16":  # bf16 = top 16 bits of a float32
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(raw, {"F32": "<f4", "F16": "<f2"}[info["dtype"]])
        out[name] = torch.from_numpy(a.astype(np.float64).reshape(info["shape"]))
    return out


# ------------------------------------------------------------ Hugging Face

HF_LAYER = {  # Meta suffix -> HF suffix (gate = w1, up = w3, down = w2)
    "attention.wq.weight": "self_attn.q_proj.weight",
    "attention.wk.weight": "self_attn.k_proj.weight",
    "attention.wv.weight": "self_attn.v_proj.weight",
    "attention.wo.weight": "self_attn.o_proj.weight",
    "feed_forward.w1.weight": "mlp.gate_proj.weight",
    "feed_forward.w3.weight": "mlp.up_proj.weight",
    "feed_forward.w2.weight": "mlp.down_proj.weight",
    "attention_norm.weight": "input_layernorm.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
}
TORCH_DTYPE_NAME = {torch.float32: "float32", torch.float16: "float16",
                    torch.bfloat16: "bfloat16"}


def hf_state_dict(cfg, W):
    """Meta-named, interleaved-layout weights -> HF names and "half" layout."""
    sd = {"model.embed_tokens.weight": W["tok_embeddings.weight"]}
    for l in range(cfg.n_layers):
        for meta, hf in HF_LAYER.items():
            t = W[f"layers.{l}.{meta}"]
            if meta == "attention.wq.weight":
                t = meta_to_hf_rows(t, cfg.n_heads, cfg.head_dim)
            elif meta == "attention.wk.weight":
                t = meta_to_hf_rows(t, cfg.n_kv_heads, cfg.head_dim)
            sd[f"model.layers.{l}.{hf}"] = t
    sd["model.norm.weight"] = W["norm.weight"]
    if not cfg.tied:
        sd["lm_head.weight"] = W["output.weight"]
    return sd


def hf_config(cfg, dtype):
    mistral = cfg.sliding_window is not None
    c = {
        "architectures": ["MistralForCausalLM" if mistral else "LlamaForCausalLM"],
        "model_type": "mistral" if mistral else "llama",
        "hidden_size": cfg.dim,
        "intermediate_size": cfg.hidden_dim,
        "num_hidden_layers": cfg.n_layers,
        "num_attention_heads": cfg.n_heads,
        "num_key_value_heads": cfg.n_kv_heads,
    }
    if cfg.head_dim != cfg.dim // cfg.n_heads:
        c["head_dim"] = cfg.head_dim
    c.update({
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_seq_len,
        "rms_norm_eps": cfg.norm_eps,
        "rope_theta": cfg.rope_theta,
        "rope_scaling": cfg.rope_scaling,
        "tie_word_embeddings": cfg.tied,
        "hidden_act": "silu",
        "bos_token_id": 1,
        "eos_token_id": 2,
        "torch_dtype": TORCH_DTYPE_NAME[dtype],
    })
    if mistral:
        c["sliding_window"] = cfg.sliding_window
    return c


def write_hf(dirpath, cfg, W, dtype=torch.float32, n_shards=1):
    os.makedirs(dirpath, exist_ok=True)
    with open(os.path.join(dirpath, "config.json"), "w") as f:
        json.dump(hf_config(cfg, dtype), f, indent=2)
        f.write("\n")
    sd = {k: v.to(torch.float32).to(dtype) for k, v in hf_state_dict(cfg, W).items()}
    meta = {"format": "pt"}
    if n_shards == 1:
        write_safetensors(os.path.join(dirpath, "model.safetensors"), sd, meta)
        return
    # Cut the tensor list into n_shards equal runs.  A layer may straddle two
    # shards, so readers have to go through weight_map, as with real models.
    names = list(sd)
    per = -(-len(names) // n_shards)
    weight_map, total = {}, 0
    for s in range(n_shards):
        fname = f"model-{s + 1:05d}-of-{n_shards:05d}.safetensors"
        part = {k: sd[k] for k in names[s * per:(s + 1) * per]}
        total += write_safetensors(os.path.join(dirpath, fname), part, meta)
        weight_map.update({k: fname for k in part})
    index = {"metadata": {"total_size": total},
             "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(dirpath, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


def read_hf(dirpath):
    """Back to Meta names but KEEPING the HF row layout (rope_layout="half")."""
    c = json.load(open(os.path.join(dirpath, "config.json")))
    cfg = Config(dim=c["hidden_size"], hidden_dim=c["intermediate_size"],
                 n_layers=c["num_hidden_layers"], n_heads=c["num_attention_heads"],
                 n_kv_heads=c["num_key_value_heads"], head_dim=c.get("head_dim"),
                 vocab_size=c["vocab_size"], max_seq_len=c["max_position_embeddings"],
                 norm_eps=c["rms_norm_eps"], rope_theta=c["rope_theta"],
                 rope_scaling=c["rope_scaling"], tied=c["tie_word_embeddings"],
                 sliding_window=c.get("sliding_window"), rope_layout="half")
    index = os.path.join(dirpath, "model.safetensors.index.json")
    files = (sorted(set(json.load(open(index))["weight_map"].values()))
             if os.path.exists(index) else ["model.safetensors"])
    sd = {}
    for fn in files:
        sd.update(read_safetensors(os.path.join(dirpath, fn)))
    rename = {"model.embed_tokens.weight": "tok_embeddings.weight",
              "model.norm.weight": "norm.weight", "lm_head.weight": "output.weight"}
    for l in range(cfg.n_layers):
        for meta, hf in HF_LAYER.items():
            rename[f"model.layers.{l}.{hf}"] = f"layers.{l}.{meta}"
    assert set(sd) <= set(rename), set(sd) - set(rename)
    return Model(cfg, {rename[k]: v for k, v in sd.items()})


# ------------------------------------------------------------- Meta .pth


def meta_hidden_dim(dim, multiple_of, ffn_dim_multiplier=None):
    """Meta's FFN size rule (Llama 2/3 model.py FeedForward)."""
    hidden = int(2 * 4 * dim / 3)
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


# Meta's use_scaled_rope=true means these fixed Llama 3.1 constants.
META_SCALED_ROPE = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                    "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}


def meta_params(cfg, multiple_of, ffn_dim_multiplier):
    assert meta_hidden_dim(cfg.dim, multiple_of, ffn_dim_multiplier) == cfg.hidden_dim
    assert cfg.head_dim * cfg.n_heads == cfg.dim and not cfg.tied
    assert cfg.rope_scaling in (None, META_SCALED_ROPE) and cfg.sliding_window is None
    return {"dim": cfg.dim, "n_layers": cfg.n_layers, "n_heads": cfg.n_heads,
            "n_kv_heads": cfg.n_kv_heads, "vocab_size": cfg.vocab_size,
            "multiple_of": multiple_of, "ffn_dim_multiplier": ffn_dim_multiplier,
            "norm_eps": cfg.norm_eps, "rope_theta": cfg.rope_theta,
            "use_scaled_rope": cfg.rope_scaling is not None}


def meta_split_dim(name):
    """Model-parallel split axis of a Meta weight, or None if replicated."""
    if name.endswith("norm.weight"):
        return None
    if name == "tok_embeddings.weight":
        return 1  # ParallelEmbedding (Llama 2) splits the embedding dim
    if name.endswith(("wo.weight", "w2.weight")):
        return 1  # RowParallelLinear: split the input features
    return 0      # ColumnParallelLinear (wq wk wv w1 w3 output): output features


def meta_state_dict(cfg, W):
    sd = {"tok_embeddings.weight": W["tok_embeddings.weight"]}
    for l in range(cfg.n_layers):
        for n in LAYER_WEIGHTS:
            sd[f"layers.{l}.{n}"] = W[f"layers.{l}.{n}"]
    sd["norm.weight"] = W["norm.weight"]
    sd["output.weight"] = W["output.weight"]
    return sd


def write_meta_pth(dirpath, cfg, W, params, dtype=torch.float32, n_shards=1):
    os.makedirs(dirpath, exist_ok=True)
    with open(os.path.join(dirpath, "params.json"), "w") as f:
        json.dump(params, f, indent=2)
        f.write("\n")
    if n_shards > 1:  # each shard gets whole kv heads
        assert cfg.n_kv_heads % n_shards == 0
    sd = {k: v.to(torch.float32).to(dtype) for k, v in meta_state_dict(cfg, W).items()}
    for s in range(n_shards):
        shard = {}
        for k, t in sd.items():
            d = meta_split_dim(k)
            part = t if (d is None or n_shards == 1) else t.chunk(n_shards, dim=d)[s]
            # clone: torch.save would otherwise store the whole parent storage
            shard[k] = part.clone().contiguous()
        torch.save(shard, os.path.join(dirpath, f"consolidated.{s:02d}.pth"))


def read_meta_pth(dirpath, max_seq_len):
    p = json.load(open(os.path.join(dirpath, "params.json")))
    cfg = Config(dim=p["dim"], n_layers=p["n_layers"], n_heads=p["n_heads"],
                 n_kv_heads=p.get("n_kv_heads") or p["n_heads"], vocab_size=p["vocab_size"],
                 hidden_dim=meta_hidden_dim(p["dim"], p["multiple_of"],
                                            p.get("ffn_dim_multiplier")),
                 max_seq_len=max_seq_len, norm_eps=p["norm_eps"],
                 rope_theta=p.get("rope_theta", 10000.0),
                 rope_scaling=META_SCALED_ROPE if p.get("use_scaled_rope") else None)
    files = sorted(f for f in os.listdir(dirpath) if f.startswith("consolidated."))
    shards = [torch.load(os.path.join(dirpath, f)) for f in files]
    W = {}
    for k in shards[0]:
        d = meta_split_dim(k)
        t = shards[0][k] if d is None else torch.cat([s[k] for s in shards], dim=d)
        W[k] = t.to(torch.float64)
    return Model(cfg, W)


# ------------------------------------------------------- gpt-fast / torchchat


def gptfast_args(cfg):
    """gpt-fast ModelArgs field names (the format itself has no config file)."""
    return {"block_size": cfg.max_seq_len, "vocab_size": cfg.vocab_size,
            "n_layer": cfg.n_layers, "n_head": cfg.n_heads, "n_local_heads": cfg.n_kv_heads,
            "dim": cfg.dim, "intermediate_size": cfg.hidden_dim, "head_dim": cfg.head_dim,
            "rope_base": cfg.rope_theta, "norm_eps": cfg.norm_eps,
            "rope_scaling": cfg.rope_scaling}


def write_gptfast(path, cfg, W, dtype=torch.float32):
    """gpt-fast model.pth: Meta names except q,k,v fused into attention.wqkv
    (concatenated along dim 0, Meta/interleaved row layout)."""
    assert not cfg.tied and cfg.sliding_window is None
    sd = {"tok_embeddings.weight": W["tok_embeddings.weight"]}
    for l in range(cfg.n_layers):
        p = f"layers.{l}."
        sd[p + "attention.wqkv.weight"] = torch.cat(
            [W[p + "attention.wq.weight"], W[p + "attention.wk.weight"],
             W[p + "attention.wv.weight"]], dim=0)
        for n in ["attention.wo.weight", "feed_forward.w1.weight", "feed_forward.w2.weight",
                  "feed_forward.w3.weight", "attention_norm.weight", "ffn_norm.weight"]:
            sd[p + n] = W[p + n]
    sd["norm.weight"] = W["norm.weight"]
    sd["output.weight"] = W["output.weight"]
    torch.save({k: v.to(torch.float32).to(dtype).contiguous() for k, v in sd.items()}, path)


def read_gptfast(path, args_path):
    a = json.load(open(args_path))
    cfg = Config(dim=a["dim"], hidden_dim=a["intermediate_size"], n_layers=a["n_layer"],
                 n_heads=a["n_head"], n_kv_heads=a["n_local_heads"], head_dim=a["head_dim"],
                 vocab_size=a["vocab_size"], max_seq_len=a["block_size"],
                 norm_eps=a["norm_eps"], rope_theta=a["rope_base"],
                 rope_scaling=a["rope_scaling"])
    sd = torch.load(path)
    W = {}
    q, kv = cfg.n_heads * cfg.head_dim, cfg.n_kv_heads * cfg.head_dim
    for k, t in sd.items():
        t = t.to(torch.float64)
        if k.endswith("attention.wqkv.weight"):
            p = k[:-len("wqkv.weight")]
            W[p + "wq.weight"], W[p + "wk.weight"], W[p + "wv.weight"] = t.split([q, kv, kv])
        else:
            W[k] = t
    return Model(cfg, W)
