#!/usr/bin/python3
"""Train the small demo Llama shipped in models/demo/ (project issue 7).

Everything is regenerated from Debian packages; nothing is downloaded:

    apt-get install fortunes python3-torch python3-sentencepiece python3-numpy
    apt-get install libopenblas0-serial   # optional, ~5x faster training
    /usr/bin/python3 scripts/train_demo.py

Steps:
  1. corpus     read the fortune files of the Debian `fortunes` package
                (/usr/share/games/fortunes), clean them, drop duplicates and
                split them deterministically by SHA-256 of each fortune's text
                (5% held out).  Both splits are written in fortune-file format:
                every fortune followed by a line "%".
  2. tokenizer  SentencePiece BPE (Llama-2-like settings, identity normalizer,
                byte fallback) trained on the train split -> tokenizer.model
  3. model      a Llama (GQA, RMSNorm, HF rotate_half RoPE, SwiGLU, tied head)
                trained with torch on one CPU thread, fixed number of steps.
  4. export     config.json, tokenizer_config.json, model.safetensors (BF16,
                written by the small writer below)
  5. eval       the safetensors file is READ BACK and the held-out perplexity
                is computed from the rounded weights (see EVAL CONVENTION);
                unigram baseline; seeded samples -> eval.json, train_log.txt,
                README.md

The script is deterministic for a given seed, machine and BLAS library (one
thread everywhere).  Different BLAS builds/CPUs may change the low bits of the
float32 arithmetic and therefore the exact numbers.
"""
import argparse
import glob
import hashlib
import json
import math
import os
import struct
import sys
import time

# --------------------------------------------------------------------------
# BLAS: Debian's python3-torch calls whatever libblas.so.3 is installed.  The
# reference BLAS is ~5x slower than OpenBLAS.  If an OpenBLAS build is present
# (package libopenblas0-serial, or --blas-dir) we re-execute ourselves with it
# first on the library path.  This must happen before torch is imported.
# --------------------------------------------------------------------------
BLAS_CANDIDATES = [
    "/usr/lib/x86_64-linux-gnu/openblas-serial",
    "/usr/lib/x86_64-linux-gnu/openblas-pthread",
    "/usr/lib/x86_64-linux-gnu/openblas-openmp",
]


def maybe_reexec_with_openblas():
    if os.environ.get("TRAIN_DEMO_REEXEC") == "1":
        return
    blas_dir = None
    for i, a in enumerate(sys.argv):
        if a == "--blas-dir" and i + 1 < len(sys.argv):
            blas_dir = sys.argv[i + 1]
        elif a.startswith("--blas-dir="):
            blas_dir = a.split("=", 1)[1]
    if blas_dir is None:
        for c in BLAS_CANDIDATES:
            if os.path.exists(os.path.join(c, "libblas.so.3")):
                blas_dir = c
                break
    if not blas_dir or blas_dir == "none":
        return
    env = dict(os.environ)
    env["TRAIN_DEMO_REEXEC"] = "1"
    env["LD_LIBRARY_PATH"] = blas_dir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


if __name__ == "__main__":
    maybe_reexec_with_openblas()

import numpy as np  # noqa: E402
import sentencepiece as spm  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --------------------------------------------------------------------------
# 1. Corpus
# --------------------------------------------------------------------------
# Files of the `fortunes` package (1:1.99.1-7.3, Debian 12) that are used.
# Left out: ascii-art (pictures), translate-me (Latin), songs-poems (mostly
# song lyrics), startrek (TV script quotes), zippy (comic-strip quotes),
# pratchett and tao (quotes from single modern books / translations) -- see
# models/demo/README.md.
FORTUNE_FILES = [
    "art", "computers", "cookie", "debian", "definitions", "disclaimer",
    "drugs", "education", "ethnic", "food", "fortunes", "goedel",
    "humorists", "kids", "knghtbrd", "law", "linux", "linuxcookie",
    "literature", "love", "magic", "medicine", "men-women", "miscellaneous",
    "news", "paradoxum", "people", "perl", "pets", "platitudes", "politics",
    "riddles", "science", "sports", "wisdom", "work",
]
HELDOUT_PERCENT = 5
SEPARATOR = "\n%\n"  # each fortune is followed by this (fortune-file format)


def clean_fortune(text):
    """Normalise one fortune; returns None if it should be dropped."""
    # Overstrike sequences "X\bY" (underline / bold for terminals) -> "Y".
    while "\b" in text:
        i = text.index("\b")
        text = text[: max(i - 1, 0)] + text[i + 1:]
    text = text.replace("\r", "")
    lines = [ln.rstrip() for ln in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return None
    text = "\n".join(lines)
    for ch in text:
        o = ord(ch)
        if (o < 32 and ch not in "\n\t") or o == 127:
            return None
    return text


def read_fortune_file(path):
    with open(path, "rb") as f:
        data = f.read().decode("utf-8")
    out, cur = [], []
    for line in data.split("\n"):
        if line == "%":
            out.append("\n".join(cur))
            cur = []
        else:
            cur.append(line)
    out.append("\n".join(cur))
    return out


def is_heldout(fortune):
    h = int.from_bytes(hashlib.sha256(fortune.encode("utf-8")).digest()[:8], "big")
    return h % 100 < HELDOUT_PERCENT


def build_corpus(fortune_dir):
    seen = set()
    train, held = [], []
    stats = {"files": [], "raw": 0, "dropped": 0, "duplicates": 0}
    for name in FORTUNE_FILES:
        path = os.path.join(fortune_dir, name)
        if not os.path.exists(path):
            raise SystemExit(f"missing {path}: apt-get install fortunes")
        raw = read_fortune_file(path)
        stats["files"].append(name)
        for r in raw:
            if not r.strip():
                continue
            stats["raw"] += 1
            c = clean_fortune(r)
            if c is None:
                stats["dropped"] += 1
                continue
            if c in seen:
                stats["duplicates"] += 1
                continue
            seen.add(c)
            (held if is_heldout(c) else train).append(c)
    stats["train_fortunes"] = len(train)
    stats["heldout_fortunes"] = len(held)
    train_text = "".join(f + SEPARATOR for f in train)
    held_text = "".join(f + SEPARATOR for f in held)
    stats["train_chars"] = len(train_text)
    stats["heldout_chars"] = len(held_text)
    return train_text, held_text, stats


# --------------------------------------------------------------------------
# 2. Tokenizer
# --------------------------------------------------------------------------
def train_tokenizer(train_txt_path, prefix, vocab_size):
    spm.SentencePieceTrainer.train(
        input=train_txt_path,
        model_prefix=prefix,
        model_type="bpe",
        vocab_size=vocab_size,
        character_coverage=0.9995,
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=True,
        split_digits=True,
        allow_whitespace_only_pieces=True,
        split_by_unicode_script=True,
        split_by_number=True,
        split_by_whitespace=True,
        max_sentence_length=4192,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        unk_piece="<unk>", bos_piece="<s>", eos_piece="</s>",
        num_threads=1,
        minloglevel=2,
    )
    return prefix + ".model"


# --------------------------------------------------------------------------
# 3. Model (Hugging Face Llama conventions)
# --------------------------------------------------------------------------
class Cfg:
    def __init__(self, **kw):
        self.vocab_size = 2048
        self.hidden_size = 256
        self.intermediate_size = 768
        self.num_hidden_layers = 4
        self.num_attention_heads = 8
        self.num_key_value_heads = 2
        self.max_position_embeddings = 256
        self.rms_norm_eps = 1e-5
        self.rope_theta = 10000.0
        self.__dict__.update(kw)
        self.head_dim = self.hidden_size // self.num_attention_heads


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_cos_sin(cfg, T):
    """HF rotate_half RoPE: dim i and i+hd/2 form a pair with frequency
    theta^(-2i/hd); cos/sin computed in float32 as Hugging Face does."""
    hd = cfg.head_dim
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    t = torch.arange(T, dtype=torch.float32)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        D, H, KV, hd = cfg.hidden_size, cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        self.H, self.KV, self.hd = H, KV, hd
        self.q_proj = nn.Linear(D, H * hd, bias=False)
        self.k_proj = nn.Linear(D, KV * hd, bias=False)
        self.v_proj = nn.Linear(D, KV * hd, bias=False)
        self.o_proj = nn.Linear(H * hd, D, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.H, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.KV, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.KV, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.H // self.KV  # query head h uses kv head h // rep (HF repeat_kv)
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hd)) + mask
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, self.H * self.hd)
        return self.o_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        D, I = cfg.hidden_size, cfg.intermediate_size
        self.gate_proj = nn.Linear(D, I, bias=False)
        self.up_proj = nn.Linear(D, I, bias=False)
        self.down_proj = nn.Linear(I, D, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([Block(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        cos, sin = rope_cos_sin(cfg, cfg.max_position_embeddings)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def init_weights(self):
        std = 0.02
        resid_std = std / math.sqrt(2 * self.cfg.num_hidden_layers)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                s = resid_std if name.endswith(("o_proj.weight", "down_proj.weight")) else std
                nn.init.normal_(p, 0.0, s)

    def forward(self, idx):
        B, T = idx.shape
        x = self.embed_tokens(idx)
        cos, sin = self.cos[:T], self.sin[:T]
        mask = torch.full((T, T), float("-inf")).triu(1)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        x = self.norm(x)
        return x @ self.embed_tokens.weight.t()  # tied lm_head


def hf_state_dict(model):
    """Parameters under Hugging Face LlamaForCausalLM names (tied head)."""
    out = {}
    for name, p in model.state_dict().items():
        if name in ("cos", "sin"):
            continue
        out["model." + name] = p.detach().clone()
    return out


def load_hf_state_dict(model, sd):
    own = {("model." + k): k for k in model.state_dict().keys() if k not in ("cos", "sin")}
    assert set(own) == set(sd), (sorted(set(own) ^ set(sd)))
    model.load_state_dict({own[k]: v for k, v in sd.items()}, strict=False)


# --------------------------------------------------------------------------
# 4. safetensors writer / reader (own implementation)
# --------------------------------------------------------------------------
ST_DTYPES = {torch.bfloat16: ("BF16", torch.int16), torch.float16: ("F16", torch.int16),
             torch.float32: ("F32", torch.int32)}


def write_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        dname, itype = ST_DTYPES[t.dtype]
        npt = {torch.int16: "<i2", torch.int32: "<i4"}[itype]
        raw = t.view(itype).numpy().astype(npt).tobytes()  # little-endian
        header[name] = {"dtype": dname, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    meta = header.pop("__metadata__", {})
    out = {}
    rev = {v[0]: (k, v[1]) for k, v in ST_DTYPES.items()}
    for name, info in header.items():
        dt, itype = rev[info["dtype"]]
        a, b = info["data_offsets"]
        npt = {torch.int16: "<i2", torch.int32: "<i4"}[itype]
        arr = np.frombuffer(data[base + a: base + b], dtype=npt).astype(npt[1:])  # native order
        t = torch.from_numpy(arr.copy()).view(dt).reshape(info["shape"])
        out[name] = t
    assert base + max((v["data_offsets"][1] for v in header.values()), default=0) == len(data)
    return out, meta


# --------------------------------------------------------------------------
# 5. Evaluation
# --------------------------------------------------------------------------
EVAL_CONVENTION = (
    "Held-out text = the exact bytes of heldout.txt decoded as UTF-8 (no stripping). "
    "ids = SentencePiece encode of the whole text as ONE string (tokenizer.model, "
    "add_dummy_prefix applies once at the very start, '\\n' becomes the byte token <0x0A>). "
    "Stream S = [BOS=1] + ids, length N+1. For k = 0,1,2,...: the model input is "
    "S[k*ctx : min((k+1)*ctx, N)] with positions 0.. restarting in every window (fresh KV cache), "
    "and the scored targets are S[k*ctx+1 : min((k+1)*ctx, N)+1], i.e. input windows do not "
    "overlap and every token of S except the first (the BOS) is scored exactly once "
    "(= lm-eval-harness rolling loglikelihood with context_len 1). ctx = 256. "
    "nll_total = sum of -ln p(target) (natural log), token_count = N, "
    "ppl = exp(nll_total / token_count). Computed in float32 from the BF16 weights "
    "of model.safetensors converted exactly to float32."
)


@torch.no_grad()
def eval_nll(model, stream, ctx):
    """stream: 1-D LongTensor S (starts with BOS). Returns (total nll, count, first window nll)."""
    model.eval()
    N = stream.numel() - 1
    total, count, first = 0.0, 0, None
    k = 0
    while k * ctx < N:
        a, b = k * ctx, min((k + 1) * ctx, N)
        inp = stream[a:b].unsqueeze(0)
        tgt = stream[a + 1:b + 1]
        logits = model(inp)[0].float()
        lp = torch.log_softmax(logits, dim=-1)
        nll = -lp.gather(1, tgt.unsqueeze(1)).squeeze(1).double()
        s = float(nll.sum())
        if first is None:
            first = s
        total += s
        count += tgt.numel()
        k += 1
    return total, count, first, k


def unigram_nll(train_ids, targets, V):
    counts = np.bincount(np.asarray(train_ids), minlength=V).astype(np.float64)
    logp = np.log((counts + 1.0) / (counts.sum() + V))
    return float(-logp[np.asarray(targets)].sum())


@torch.no_grad()
def sample(model, sp, prompt, n_new, temperature, gen, sep_ids):
    model.eval()
    ids = [1] + sp.encode(prompt)
    start = len(ids)
    ctx = model.cfg.max_position_embeddings
    for _ in range(n_new):
        logits = model(torch.tensor([ids[-ctx:]]))[0, -1].float()
        if temperature == 0:
            nxt = int(logits.argmax())
        else:
            probs = torch.softmax(logits / temperature, dim=-1)
            nxt = int(torch.multinomial(probs, 1, generator=gen))
        ids.append(nxt)
        if nxt == 2 or (sep_ids and ids[-len(sep_ids):] == sep_ids and len(ids) - start > len(sep_ids)):
            break
    return ids


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fortune-dir", default="/usr/share/games/fortunes")
    ap.add_argument("--out", default=os.path.join(REPO, "models", "demo"))
    ap.add_argument("--work-dir", default="/tmp/llamafast-demo-work")
    ap.add_argument("--blas-dir", default=None, help="directory with an OpenBLAS libblas.so.3 ('none' to disable)")
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--ffn", type=int, default=768)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--bos-frac", type=float, default=0.25,
                    help="fraction of training rows that start with BOS at a fortune start")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bench", type=int, default=0, help="only time N training steps and exit")
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()

    t_start = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work_dir, exist_ok=True)
    log_lines = []

    def log(msg):
        print(msg, flush=True)
        log_lines.append(msg)

    blas = "unknown"
    a = torch.randn(64, 64)
    _ = a @ a
    with open("/proc/self/maps") as f:
        libs = sorted({ln.split()[-1] for ln in f if "blas" in ln.lower() and "/" in ln})
    blas = ", ".join(os.path.realpath(x) for x in libs) or "none found"
    log(f"torch {torch.__version__}, sentencepiece {spm.__version__}, numpy {np.__version__}, "
        f"threads {torch.get_num_threads()}, BLAS {blas}")

    # ---- corpus
    train_text, held_text, cstats = build_corpus(args.fortune_dir)
    log(f"corpus: {json.dumps(cstats)}")
    train_path = os.path.join(args.work_dir, "train.txt")
    with open(train_path, "w", encoding="utf-8", newline="\n") as f:
        f.write(train_text)
    held_path = os.path.join(args.out, "heldout.txt")
    with open(held_path, "w", encoding="utf-8", newline="\n") as f:
        f.write(held_text)
    with open(held_path, "rb") as f:
        held_text = f.read().decode("utf-8")

    # ---- tokenizer
    t0 = time.time()
    model_file = train_tokenizer(train_path, os.path.join(args.work_dir, "tokenizer"), args.vocab)
    tok_out = os.path.join(args.out, "tokenizer.model")
    with open(model_file, "rb") as f, open(tok_out, "wb") as g:
        g.write(f.read())
    sp = spm.SentencePieceProcessor(model_file=tok_out)
    assert sp.get_piece_size() == args.vocab and sp.unk_id() == 0 and sp.bos_id() == 1 and sp.eos_id() == 2
    train_ids = sp.encode(train_text)
    held_ids = sp.encode(held_text)
    assert sp.decode(held_ids) == held_text, "tokenizer round trip failed"
    sep_ids = sp.encode("a" + SEPARATOR + "b")[1:-1]
    log(f"tokenizer: vocab {sp.get_piece_size()}, {time.time() - t0:.1f}s; train tokens {len(train_ids)} "
        f"({len(train_text) / len(train_ids):.2f} chars/token), heldout tokens {len(held_ids)}; "
        f"separator ids {sep_ids} = {[sp.id_to_piece(i) for i in sep_ids]}")

    train_stream = torch.tensor([1] + train_ids, dtype=torch.long)
    held_stream = torch.tensor([1] + held_ids, dtype=torch.long)
    # token index (in train_stream) of the first token of every fortune
    starts = [1]
    L = len(sep_ids)
    tl = train_stream.tolist()
    for i in range(1, len(tl) - L + 1):
        if tl[i:i + L] == sep_ids:
            starts.append(i + L)
    starts = [s for s in starts if s + args.ctx <= len(tl)]
    starts_t = torch.tensor(starts, dtype=torch.long)
    log(f"fortune starts found: {len(starts)} (train fortunes {cstats['train_fortunes']})")

    # ---- model
    cfg = Cfg(vocab_size=args.vocab, hidden_size=args.dim, intermediate_size=args.ffn,
              num_hidden_layers=args.layers, num_attention_heads=args.heads,
              num_key_value_heads=args.kv_heads, max_position_embeddings=args.ctx)
    torch.manual_seed(args.seed)
    model = Llama(cfg)
    model.init_weights()
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {json.dumps({k: v for k, v in cfg.__dict__.items()})}, params {n_params}")

    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        p = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * p)))

    gen = torch.Generator().manual_seed(args.seed + 1)
    T, B = args.ctx, args.batch
    n_bos = int(round(B * args.bos_frac))
    offs = torch.arange(T + 1)

    def get_batch():
        rows = []
        if n_bos:
            s = starts_t[torch.randint(len(starts_t), (n_bos,), generator=gen)]
            body = train_stream[s.unsqueeze(1) + offs[:T].unsqueeze(0)]
            rows.append(torch.cat([torch.ones(n_bos, 1, dtype=torch.long), body], dim=1))
        if B - n_bos:
            s = torch.randint(len(train_stream) - T - 1, (B - n_bos,), generator=gen)
            rows.append(train_stream[s.unsqueeze(1) + offs.unsqueeze(0)])
        xy = torch.cat(rows, 0)
        return xy[:, :-1], xy[:, 1:]

    steps = args.bench if args.bench else args.steps
    log(f"training: steps {steps}, batch {B}x{T} = {B * T} tokens/step, {steps * B * T} tokens "
        f"({steps * B * T / len(train_ids):.2f} epochs), lr {args.lr} warmup {args.warmup} cosine to "
        f"{args.min_lr_frac * args.lr:g}, AdamW(0.9,0.95) wd {args.wd}, grad clip 1.0, bos rows {n_bos}/{B}, "
        f"seed {args.seed}")
    t_train = time.time()
    c_train = time.process_time()
    run_loss, run_n = 0.0, 0
    curve = []
    for step in range(steps):
        model.train()
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x, y = get_batch()
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, cfg.vocab_size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run_loss += float(loss)
        run_n += 1
        if (step + 1) % args.log_every == 0 or step + 1 == steps:
            el = time.time() - t_train
            msg = (f"step {step + 1:5d}  train loss {run_loss / run_n:.4f}  lr {lr_at(step):.2e}  "
                   f"{el:7.1f}s wall {time.process_time() - c_train:7.1f}s cpu  {(step + 1) * B * T / el:6.0f} tok/s")
            if args.eval_every and ((step + 1) % args.eval_every == 0 or step + 1 == steps) and not args.bench:
                # monitoring only (nothing is selected on it): first 16 held-out windows
                tot, cnt, _, _ = eval_nll(model, held_stream[:16 * T + 1], T)
                msg += f"  heldout[:16 win] loss {tot / cnt:.4f}"
                curve.append((step + 1, run_loss / run_n, tot / cnt))
            log(msg)
            run_loss, run_n = 0.0, 0
    train_time = time.time() - t_train
    train_cpu = time.process_time() - c_train
    log(f"training time {train_time:.1f}s wall, {train_cpu:.1f}s cpu")
    if args.bench:
        return

    # ---- export
    sd = hf_state_dict(model)
    sd_bf16 = {k: v.to(torch.bfloat16) for k, v in sd.items()}
    st_path = os.path.join(args.out, "model.safetensors")
    write_safetensors(st_path, sd_bf16, {"format": "pt"})
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_position_embeddings,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,
        "rope_scaling": None,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": True,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "pad_token_id": None,
        "initializer_range": 0.02,
        "torch_dtype": "bfloat16",
        "use_cache": True,
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    tok_cfg = {
        "tokenizer_class": "LlamaTokenizer",
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": None,
        "model_max_length": cfg.max_position_embeddings,
        "clean_up_tokenization_spaces": False,
        "legacy": True,
        "sp_model_kwargs": {},
    }
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump(tok_cfg, f, indent=2)
        f.write("\n")

    # ---- eval from the file that was written
    loaded, meta = read_safetensors(st_path)
    for k in sd_bf16:
        assert torch.equal(loaded[k].view(torch.int16), sd_bf16[k].view(torch.int16)), k
    emodel = Llama(cfg)
    load_hf_state_dict(emodel, {k: v.float() for k, v in loaded.items()})
    t0 = time.time()
    nll, cnt, first, nwin = eval_nll(emodel, held_stream, T)
    ppl = math.exp(nll / cnt)
    nll32, cnt32, _, _ = eval_nll(model, held_stream, T)  # unrounded float32 weights, for reference
    # same evaluation from the in-memory rounded weights must agree exactly with the file's
    rmodel = Llama(cfg)
    load_hf_state_dict(rmodel, {k: v.float() for k, v in sd_bf16.items()})
    nll_mem, _, _, _ = eval_nll(rmodel, held_stream, T)
    assert nll_mem == nll, (nll_mem, nll)
    uni = unigram_nll(train_ids, held_ids, cfg.vocab_size)
    uni_ppl = math.exp(uni / cnt)
    log(f"eval ({time.time() - t0:.1f}s): heldout tokens {cnt}, windows {nwin}, nll {nll:.6f}, ppl {ppl:.4f} "
        f"(float32 unrounded ppl {math.exp(nll32 / cnt32):.4f}); unigram ppl {uni_ppl:.4f}; "
        f"bits/byte {nll / math.log(2) / len(held_text.encode('utf-8')):.4f}")

    # samples (temperature 0.8, seeded) and a greedy reference
    sgen = torch.Generator().manual_seed(args.seed + 2)
    prompts = ["", "Life is", "The computer"]
    samples = []
    for p in prompts:
        ids = sample(emodel, sp, p, 200, 0.8, sgen, sep_ids)
        samples.append({"prompt": p, "ids": ids, "text": sp.decode(ids[1:])})
        log(f"sample (prompt {p!r}): {sp.decode(ids[1:])!r}")
    greedy_prompt = "The computer"
    gids = sample(emodel, sp, greedy_prompt, 32, 0.0, None, None)
    log(f"greedy (prompt {greedy_prompt!r}): {sp.decode(gids[1:])!r}")

    total_time = time.time() - t_start
    total_cpu = time.process_time()
    ev = {
        "convention": EVAL_CONVENTION,
        "heldout_file": "heldout.txt",
        "heldout_bytes": len(held_text.encode("utf-8")),
        "ctx": T,
        "bos_id": 1,
        "token_count": cnt,
        "windows": nwin,
        "nll_total": nll,
        "nll_mean": nll / cnt,
        "ppl": ppl,
        "bits_per_byte": nll / math.log(2) / len(held_text.encode("utf-8")),
        "first_window_nll": first,
        "first_window_tokens": min(T, cnt),
        "first_16_ids": [1] + held_ids[:15],
        "ppl_float32_unrounded": math.exp(nll32 / cnt32),
        "unigram_baseline": {
            "description": "p(t) = (count_train(t) + 1) / (N_train + vocab_size), counts over the "
                           "SentencePiece ids of the train split (no BOS); scored on the same "
                           "token_count held-out targets (ids of heldout.txt, BOS excluded)",
            "train_tokens": len(train_ids),
            "nll_total": uni,
            "ppl": uni_ppl,
        },
        "weights_dtype": "BF16",
        "greedy_reference": {"prompt": greedy_prompt, "ids": gids, "text": sp.decode(gids[1:]),
                             "note": "BOS + encode(prompt), then 32 argmax steps, full recompute, float32"},
        "samples_temperature_0.8": [{"prompt": s["prompt"], "text": s["text"]} for s in samples],
        "seed": args.seed,
    }
    with open(os.path.join(args.out, "eval.json"), "w") as f:
        json.dump(ev, f, indent=2)
        f.write("\n")
    log(f"total time {total_time:.1f}s wall, {total_cpu:.1f}s cpu")

    with open(os.path.join(args.out, "train_log.txt"), "w") as f:
        f.write("# scripts/train_demo.py " + " ".join(sys.argv[1:]) + "\n")
        f.write("\n".join(log_lines) + "\n")

    if not args.no_readme:
        write_readme(args, cfg, n_params, cstats, len(train_ids), len(held_ids), (train_time, train_cpu),
                     (total_time, total_cpu),
                     ev, samples, blas, steps, B, T)


def blas_short(blas):
    libs = [os.path.basename(x.strip()) for x in blas.split(",")]
    ob = [x for x in libs if x.startswith("libopenblas")]
    if ob:
        return f"OpenBLAS (`{ob[0]}`, single-threaded)"
    return "`" + ", ".join(libs) + "`"


def write_readme(args, cfg, n_params, cstats, n_train_tok, n_held_tok, train_t, total_t, ev, samples,
                 blas, steps, B, T):
    sizes = {}
    for p in sorted(glob.glob(os.path.join(args.out, "*"))):
        if os.path.basename(p) != "README.md":
            sizes[os.path.basename(p)] = os.path.getsize(p)
    s = []
    s.append("# Demo model: a tiny Llama trained on Debian's fortune cookies\n")
    s.append("Generated by `scripts/train_demo.py`; do not edit by hand (the script rewrites this file).\n")
    s.append("## Provenance and licence\n")
    s.append(
        "* Corpus: Debian 12 (bookworm) package **`fortunes` 1:1.99.1-7.3** (source `fortune-mod`), "
        "files in `/usr/share/games/fortunes`. Licence: the package's `/usr/share/doc/fortunes/copyright` "
        "puts the distribution under the BSD licence of the Regents of the University of California "
        "(3-clause, advertising clause deleted); the package is in Debian `main` (DFSG-free), which "
        "permits redistribution and derived works such as this model. The offensive fortunes "
        "(`fortunes-off`) are not used.\n"
        f"* Files used ({len(FORTUNE_FILES)}): {', '.join(FORTUNE_FILES)}.\n"
        "* Left out: `ascii-art` (pictures, not prose), `translate-me` (Latin), `songs-poems` (mostly song "
        "lyrics), `startrek` (TV script quotes), `zippy` (comic-strip quotes), `pratchett` and `tao` "
        "(excerpts of single modern books/translations) -- to keep to plain English text whose redistribution is least in doubt.\n"
        "* Cleaning: terminal overstrike sequences `X\\bY` become `Y`, trailing whitespace is stripped, "
        "fortunes with other control characters are dropped, exact duplicates are removed "
        f"({cstats['raw']} raw fortunes, {cstats['duplicates']} duplicates, {cstats['dropped']} dropped).\n"
        "* Split: a fortune is held out iff `int.from_bytes(sha256(text)[:8], 'big') % 100 < 5`. "
        f"Train: {cstats['train_fortunes']} fortunes, {cstats['train_chars']} chars, {n_train_tok} tokens "
        "(regenerated by the script, not committed). "
        f"Held out: {cstats['heldout_fortunes']} fortunes, {cstats['heldout_chars']} chars, {n_held_tok} "
        "tokens = `heldout.txt`.\n"
        "* Text format (train and held-out): every fortune followed by a line `%` (i.e. `text + \"\\n%\\n\"`), "
        "as in fortune files.\n")
    s.append("## Files\n")
    s.append("| file | bytes | content |\n|---|---:|---|")
    desc = {
        "config.json": "Hugging Face `LlamaForCausalLM` config",
        "model.safetensors": "weights, **BF16**, tied embeddings (no `lm_head.weight`)",
        "tokenizer.model": "SentencePiece BPE model",
        "tokenizer_config.json": "HF tokenizer config (`add_bos_token: true`)",
        "heldout.txt": "held-out text (evaluation)",
        "eval.json": "held-out perplexity, convention, unigram baseline, samples",
        "train_log.txt": "settings, loss curve, timings",
    }
    for k, v in sizes.items():
        s.append(f"| `{k}` | {v} | {desc.get(k, '')} |")
    s.append(f"\nTotal: {sum(sizes.values())} bytes plus this README.\n")
    s.append("## Tokenizer\n")
    s.append(
        f"SentencePiece {spm.__version__} (Debian `python3-sentencepiece`) trainer, model_type=bpe, "
        f"vocab_size={cfg.vocab_size}, byte_fallback=true, character_coverage=0.9995, "
        "normalization_rule_name=**identity** (no normalization), remove_extra_whitespaces=false, "
        "add_dummy_prefix=true, split_digits=true, allow_whitespace_only_pieces=true, "
        "split_by_whitespace/number/unicode_script=true, `<unk>`=0, `<s>`=1, `</s>`=2, no pad. "
        "These are Llama-2's settings except vocabulary size and coverage. The trainer reads the train "
        "split line by line, so `\\n` is never a piece and is encoded with the byte token `<0x0A>` "
        "(id 13), like Llama 2.\n")
    s.append("## Model\n")
    s.append(
        f"Llama architecture, {n_params} parameters: hidden {cfg.hidden_size}, {cfg.num_hidden_layers} layers, "
        f"{cfg.num_attention_heads} query heads / {cfg.num_key_value_heads} KV heads (GQA, head_dim "
        f"{cfg.head_dim}; query head h uses KV head h // {cfg.num_attention_heads // cfg.num_key_value_heads}), "
        f"SwiGLU FFN {cfg.intermediate_size}, RMSNorm eps {cfg.rms_norm_eps}, RoPE theta {cfg.rope_theta} in the "
        "Hugging Face `rotate_half` layout (dims i and i+head_dim/2 are rotated together), no biases, "
        f"tied input/output embeddings, context {cfg.max_position_embeddings}.\n")
    s.append("## Training\n")
    s.append(
        f"PyTorch {torch.__version__} (Debian `python3-torch`), CPU, `torch.set_num_threads({args.threads})`, "
        f"BLAS: {blas_short(blas)}. {steps} steps x {B} x {T} tokens "
        f"({steps * B * T} tokens, {steps * B * T / n_train_tok:.2f} epochs), AdamW (0.9, 0.95), "
        f"weight decay {args.wd} on matrices, lr {args.lr} with {args.warmup} warm-up steps and cosine decay "
        f"to {args.min_lr_frac * args.lr:g}, grad-norm clip 1.0, float32. Rows are random "
        f"{T + 1}-token crops of the train stream; {int(round(B * args.bos_frac))} of the {B} rows per batch "
        "instead start with `<s>` followed by the start of a random fortune (so prompting with `<s>` works). "
        f"Seed {args.seed} (init, batches and samples). Training took **{train_t[1] / 60:.1f} min of CPU time** "
        f"({train_t[0] / 60:.1f} min wall clock), the whole script {total_t[1] / 60:.1f} min CPU "
        f"({total_t[0] / 60:.1f} min wall), with 1 thread on a 2-core AMD EPYC VM that was shared with other "
        "jobs (wall time depends on that load). The run is deterministic "
        "for a given machine and BLAS library; another CPU or BLAS (e.g. reference BLAS instead of "
        "OpenBLAS) changes low-order float bits and therefore the exact figures.\n")
    u = ev["unigram_baseline"]
    s.append("## Quality (held-out)\n")
    s.append(
        f"| | value |\n|---|---:|\n| held-out tokens scored | {ev['token_count']} |\n"
        f"| windows of {ev['ctx']} | {ev['windows']} |\n| total NLL (nats) | {ev['nll_total']:.4f} |\n"
        f"| **perplexity (BF16 weights)** | **{ev['ppl']:.3f}** |\n"
        f"| perplexity (float32 weights before rounding) | {ev['ppl_float32_unrounded']:.3f} |\n"
        f"| bits per byte | {ev['bits_per_byte']:.4f} |\n"
        f"| unigram baseline perplexity (add-one) | {u['ppl']:.3f} |\n")
    s.append("Convention (also in `eval.json`): " + ev["convention"] + "\n")
    s.append("## Samples\n")
    s.append("Temperature 0.8, seeded torch sampler, `<s>` + prompt, until the fortune separator `\\n%\\n` or "
             "200 new tokens. The model never produces `</s>`: fortunes are separated by a line `%`, so "
             "stop on that (or a token limit).\n")
    for i, smp in enumerate(samples):
        s.append(f"**{i + 1}. prompt {smp['prompt']!r}**\n\n```\n{smp['text']}\n```\n")
    s.append(f"Greedy reference (32 tokens, prompt {ev['greedy_reference']['prompt']!r}): ids "
             f"`{ev['greedy_reference']['ids']}`\n")
    s.append("## Regenerate\n")
    s.append("```\napt-get install fortunes python3-torch python3-sentencepiece python3-numpy\n"
             "apt-get install libopenblas0-serial   # optional: ~5x faster; picked up automatically\n"
             "/usr/bin/python3 scripts/train_demo.py   # writes models/demo/*\n```\n"
             "Training is not part of the build or CI.\n")
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write("\n".join(s))


if __name__ == "__main__":
    main()
