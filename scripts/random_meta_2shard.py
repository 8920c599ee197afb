#!/usr/bin/env python3
"""Writes a random-weight Meta checkpoint split 2-way model-parallel, as Meta's
reference code shards it (wq/wk/wv/w1/w3/output along dim 0, wo/w2 and the
embedding along dim 1, norms replicated), with PyTorch's own torch.save:
a source for measuring how much memory merging shards takes.
  /usr/bin/python3 scripts/random_meta_2shard.py OUT_DIR   (about 2 x 337 MB)
"""
import json
import os
import sys

import torch


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    dim, layers, heads, hidden, vocab = 1024, 8, 16, 2816, 32000
    with open(os.path.join(out, "params.json"), "w") as f:
        json.dump({"dim": dim, "n_layers": layers, "n_heads": heads, "vocab_size": vocab, "multiple_of": 256,
                   "norm_eps": 1e-5}, f)
    for rank in range(2):
        sd = {
            "tok_embeddings.weight": torch.randn(vocab, dim // 2) * 0.02,
            "norm.weight": torch.ones(dim),
            "output.weight": torch.randn(vocab // 2, dim) * 0.02,
        }
        for layer in range(layers):
            p = f"layers.{layer}."
            for n in ("wq", "wk", "wv"):
                sd[p + f"attention.{n}.weight"] = torch.randn(dim // 2, dim) * 0.02
            sd[p + "attention.wo.weight"] = torch.randn(dim, dim // 2) * 0.02
            sd[p + "feed_forward.w1.weight"] = torch.randn(hidden // 2, dim) * 0.02
            sd[p + "feed_forward.w3.weight"] = torch.randn(hidden // 2, dim) * 0.02
            sd[p + "feed_forward.w2.weight"] = torch.randn(dim, hidden // 2) * 0.02
            sd[p + "attention_norm.weight"] = torch.ones(dim)
            sd[p + "ffn_norm.weight"] = torch.ones(dim)
        torch.save(sd, os.path.join(out, f"consolidated.{rank:02d}.pth"))


if __name__ == "__main__":
    main()
