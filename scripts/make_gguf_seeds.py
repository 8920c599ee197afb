#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/fuzz_gguf.cpp: tiny GGUF files (a 1-layer
llama model with F32 and Q8_0 / Q4_0 / F16 tensors and a vocabulary, a
vocab-only BPE file, a version-2 file). Written from the format description,
with no dependency beyond the standard library.

usage: scripts/make_gguf_seeds.py [fuzz/corpus/gguf]
"""
import os
import struct
import sys

U32, F32, BOOL, STR, ARR = 4, 6, 7, 8, 9
T_F32, T_F16, T_Q4_0, T_Q8_0 = 0, 1, 2, 8


def s(text):
    b = text.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, value):
    out = s(key) + struct.pack("<I", vtype)
    if vtype == U32:
        return out + struct.pack("<I", value)
    if vtype == F32:
        return out + struct.pack("<f", value)
    if vtype == BOOL:
        return out + struct.pack("<B", value)
    if vtype == STR:
        return out + s(value)
    item_type, items = value
    out += struct.pack("<IQ", item_type, len(items))
    for item in items:
        out += s(item) if item_type == STR else struct.pack("<f" if item_type == F32 else "<i", item)
    return out


def tensor_bytes(ttype, dims):
    n = 1
    for d in dims:
        n *= d
    if ttype == T_F32:
        return b"".join(struct.pack("<f", ((i % 7) - 3) * 0.01) for i in range(n))
    if ttype == T_F16:
        return b"".join(struct.pack("<e", ((i % 5) - 2) * 0.01) for i in range(n))
    blocks = n // 32
    if ttype == T_Q8_0:
        return b"".join(struct.pack("<e", 0.01) + bytes((j - 16) & 0xFF for j in range(32)) for _ in range(blocks))
    return b"".join(struct.pack("<e", 0.01) + bytes(range(0, 256, 16)) for _ in range(blocks))


def gguf(metadata, tensors, version=3):
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(metadata)) + b"".join(metadata)
    infos, data = b"", b""
    for name, dims, ttype in tensors:
        infos += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", ttype, len(data))
        data += tensor_bytes(ttype, dims)
        data += b"\0" * (-len(data) % 32)
    out = head + infos
    return out + b"\0" * (-len(out) % 32) + data


def llama_model(wtype, version=3):
    dim, hidden, vocab = 32, 64, 8
    meta = [
        kv("general.architecture", STR, "llama"),
        kv("llama.context_length", U32, 16),
        kv("llama.embedding_length", U32, dim),
        kv("llama.feed_forward_length", U32, hidden),
        kv("llama.block_count", U32, 1),
        kv("llama.attention.head_count", U32, 2),
        kv("llama.attention.head_count_kv", U32, 1),
        kv("llama.rope.dimension_count", U32, dim // 2),
        kv("llama.attention.layer_norm_rms_epsilon", F32, 1e-5),
        kv("tokenizer.ggml.model", STR, "llama"),
        kv("tokenizer.ggml.tokens", ARR, (STR, ["<unk>", "<s>", "</s>", "\u2581", "a", "b", "\u2581a", "<0x41>"])),
        kv("tokenizer.ggml.scores", ARR, (F32, [0, 0, 0, -1, -2, -3, -4, 0])),
        kv("tokenizer.ggml.token_type", ARR, (5, [2, 3, 3, 1, 1, 1, 1, 6])),
        kv("tokenizer.ggml.bos_token_id", U32, 1),
        kv("tokenizer.ggml.eos_token_id", U32, 2),
        kv("tokenizer.ggml.add_bos_token", BOOL, 1),
    ]
    tensors = [
        ("token_embd.weight", [dim, vocab], wtype),
        ("output_norm.weight", [dim], T_F32),
        ("blk.0.attn_norm.weight", [dim], T_F32),
        ("blk.0.ffn_norm.weight", [dim], T_F32),
        ("blk.0.attn_q.weight", [dim, dim], wtype),
        ("blk.0.attn_k.weight", [dim, dim // 2], wtype),
        ("blk.0.attn_v.weight", [dim, dim // 2], wtype),
        ("blk.0.attn_output.weight", [dim, dim], wtype),
        ("blk.0.ffn_gate.weight", [dim, hidden], wtype),
        ("blk.0.ffn_up.weight", [dim, hidden], wtype),
        ("blk.0.ffn_down.weight", [hidden, dim], wtype),
        ("output.weight", [dim, vocab], T_Q8_0 if wtype == T_Q4_0 else wtype),
    ]
    return gguf(meta, tensors, version)


def bpe_vocab():
    tokens = ["a", "b", "c", "ab", "Ġ", "Ġa", "<|bos|>"]
    meta = [
        kv("tokenizer.ggml.model", STR, "gpt2"),
        kv("tokenizer.ggml.pre", STR, "llama-bpe"),
        kv("tokenizer.ggml.tokens", ARR, (STR, tokens)),
        kv("tokenizer.ggml.token_type", ARR, (5, [1, 1, 1, 1, 1, 1, 3])),
        kv("tokenizer.ggml.merges", ARR, (STR, ["a b", "Ġ a"])),
        kv("tokenizer.ggml.bos_token_id", U32, 6),
    ]
    return gguf(meta, [])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fuzz", "corpus", "gguf")
    os.makedirs(out, exist_ok=True)
    seeds = {
        "tiny_f32.gguf": llama_model(T_F32),
        "tiny_f16_v2.gguf": llama_model(T_F16, version=2),
        "tiny_q8_0.gguf": llama_model(T_Q8_0),
        "tiny_q4_0.gguf": llama_model(T_Q4_0),
        "bpe_vocab.gguf": bpe_vocab(),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
