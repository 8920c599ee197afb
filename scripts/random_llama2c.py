#!/usr/bin/env python3
"""Writes a random-weight model of a real shape as a llama2.c .bin (float32),
streaming so memory stays small: a stand-in source for timing `llamafast export`
on big models. Weights N(0, 0.02), norms 1, shared classifier.
  scripts/random_llama2c.py tinyllama-1.1b OUT.bin
"""
import struct
import sys

import numpy as np

SHAPES = {  # dim, hidden, layers, heads, kv_heads, vocab, seq_len
    "stories110m": (768, 2048, 12, 12, 12, 32000, 1024),
    "tinyllama-1.1b": (2048, 5632, 22, 32, 4, 32000, 2048),
    "llama-2-7b": (4096, 11008, 32, 32, 32, 32000, 4096),
}


def main():
    dim, hidden, layers, heads, kv_heads, vocab, seq_len = SHAPES[sys.argv[1]]
    rng = np.random.default_rng(0)
    kv_dim = dim // heads * kv_heads
    with open(sys.argv[2], "wb") as f:
        f.write(struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab, seq_len))

        def normal(n):
            for start in range(0, n, 1 << 24):
                k = min(1 << 24, n - start)
                f.write((rng.standard_normal(k, dtype=np.float32) * 0.02).tobytes())

        def ones(n):
            f.write(np.ones(n, dtype=np.float32).tobytes())

        normal(vocab * dim)
        ones(layers * dim)
        normal(layers * dim * dim)
        normal(layers * dim * kv_dim)
        normal(layers * dim * kv_dim)
        normal(layers * dim * dim)
        ones(layers * dim)
        normal(layers * hidden * dim)
        normal(layers * dim * hidden)
        normal(layers * hidden * dim)
        ones(dim)
        f.write(np.zeros(seq_len * (dim // heads), dtype=np.float32).tobytes())  # unused RoPE tables


if __name__ == "__main__":
    main()
