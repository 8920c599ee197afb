#!/usr/bin/python3
"""Write the seed corpora of the .pth fuzz targets (fuzz/fuzz_zip.cpp, fuzz/fuzz_pickle.cpp).

    /usr/bin/python3 scripts/reference/gen_fuzz_seeds.py

Real torch.save output, kept small: fuzz/corpus/zip/tiny.pth is a whole archive
of one 4-element tensor; fuzz/corpus/pickle/*.pkl are data.pkl streams of state
dicts whose storages all hold 256 bytes (the size fuzz_pickle gives every storage
key), with shared storages, a transposed view, an offset view, bfloat16 and an
nn.Parameter. Deterministic: the same bytes on every run.
"""
import collections
import io
import os
import zipfile

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(REPO, "fuzz", "corpus")


def saved(obj, name):
    buf = io.BytesIO()
    torch.save(obj, buf)
    raw = buf.getvalue()
    # torch names the top folder after the file; a BytesIO gives "archive".
    pkl = zipfile.ZipFile(io.BytesIO(raw)).read("archive/data.pkl")
    return raw, pkl


def main():
    os.makedirs(os.path.join(CORPUS, "zip"), exist_ok=True)
    os.makedirs(os.path.join(CORPUS, "pickle"), exist_ok=True)

    raw, _ = saved({"x": torch.zeros(4)}, "tiny")
    with open(os.path.join(CORPUS, "zip", "tiny.pth"), "wb") as f:
        f.write(raw)

    w = torch.arange(64, dtype=torch.float32).view(8, 8)
    views = collections.OrderedDict([
        ("w", w), ("wt", w.t()), ("row", w[2]),
        ("h", torch.zeros(128, dtype=torch.bfloat16)),
    ])
    _, pkl = saved(views, "views")
    with open(os.path.join(CORPUS, "pickle", "views.pkl"), "wb") as f:
        f.write(pkl)

    params = {"p": torch.nn.Parameter(torch.ones(64)), "f16": torch.ones(8, 16, dtype=torch.float16)}
    _, pkl = saved(params, "params")
    with open(os.path.join(CORPUS, "pickle", "parameter.pkl"), "wb") as f:
        f.write(pkl)


if __name__ == "__main__":
    main()
