#!/usr/bin/env python3
"""Golden ids for the SentencePiece tokenizer, computed by the SentencePiece
library itself (Debian's python3-sentencepiece; run with /usr/bin/python3).

For each line of tests/fixtures/tokenizer/corpus.jsonl, writes one JSON array of
ids (no BOS) to tests/fixtures/tokenizer/llama2_spm_expected.jsonl, encoding with
../shared/tokenizers/llama2/tokenizer.model.

Also writes tests/fixtures/tokenizer/llama2_spm_bytes_expected.jsonl: inputs that
are not valid UTF-8 (so cannot live in the JSON corpus), as
{"hex": "<input bytes>", "ids": [...]} per line.

And tests/fixtures/tokenizer/llama2_spm_long_expected.jsonl: the whole corpus
joined into one text (~200 KB) by each of a few separators, encoded in one
call, as {"separator": s, "count": number of ids, "fnv1a64": hex digest of the
ids as little-endian int32}: long texts without a long fixture.

Usage: gen_spm_expected.py [--model PATH] [--corpus PATH] [--out PATH]
"""
import argparse
import json
import os

import sentencepiece as spm

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "tokenizer")
SHARED = os.path.join(os.path.dirname(REPO), "shared")

# Byte strings that are not valid UTF-8: stray continuation bytes, truncated
# sequences, overlong forms, encoded surrogates, values above U+10FFFF, and
# 0xF5..0xFF lead bytes. SentencePiece replaces each bad byte by U+FFFD.
INVALID_UTF8 = [
    b"\x80", b"\xbf", b"a\x80b", b"\xc3", b"\xc3(", b"\xe2\x82", b"\xe2\x82(", b"\xf0\x9f\x98",
    b"\xf0\x9f\x98 hello", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xe0\x9f\xbf", b"\xf0\x80\x80\x80",
    b"\xf0\x8f\xbf\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\x9f\xbf", b"\xf4\x90\x80\x80",
    b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80", b"\xfe", b"\xff",
    b"\xff\xfe", b"hello \xff world", b"\xef\xbf\xbd", b"\xe2\x96", b"\xe2\x96\x81\x81",
    b"caf\xe9", b"\x00\xff\x00", b"  \xc3\xa9\xc3", b"\xf0\x9f\xa6\x99\xf0\x9f\xa6",
]


LONG_SEPARATORS = [" ", "\n", "", " \n\t "]


def fnv1a64_ids(ids):
    h = 0xCBF29CE484222325
    for i in ids:
        for b in int(i).to_bytes(4, "little", signed=True):
            h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(SHARED, "tokenizers", "llama2", "tokenizer.model"))
    ap.add_argument("--corpus", default=os.path.join(FIXTURES, "corpus.jsonl"))
    ap.add_argument("--out", default=os.path.join(FIXTURES, "llama2_spm_expected.jsonl"))
    ap.add_argument("--bytes-out", default=os.path.join(FIXTURES, "llama2_spm_bytes_expected.jsonl"))
    ap.add_argument("--long-out", default=os.path.join(FIXTURES, "llama2_spm_long_expected.jsonl"))
    args = ap.parse_args()

    sp = spm.SentencePieceProcessor(model_file=args.model)
    with open(args.corpus, encoding="utf-8", newline="\n") as f:
        corpus = [json.loads(line) for line in f.read().split("\n") if line]
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for text in corpus:
            # Encode the UTF-8 bytes so that the library sees exactly what the C++ test sees.
            ids = sp.encode(text.encode("utf-8"))
            f.write(json.dumps(ids, separators=(",", ":")) + "\n")
    print(f"wrote {len(corpus)} id lists to {args.out}")

    with open(args.bytes_out, "w", encoding="utf-8", newline="\n") as f:
        for raw in INVALID_UTF8:
            f.write(json.dumps({"hex": raw.hex(), "ids": sp.encode(raw)}, separators=(",", ":")) + "\n")
    print(f"wrote {len(INVALID_UTF8)} byte-string cases to {args.bytes_out}")

    with open(args.long_out, "w", encoding="utf-8", newline="\n") as f:
        for sep in LONG_SEPARATORS:
            ids = sp.encode(sep.join(corpus).encode("utf-8"))
            f.write(json.dumps({"separator": sep, "count": len(ids), "fnv1a64": fnv1a64_ids(ids)}) + "\n")
    print(f"wrote {len(LONG_SEPARATORS)} long-text digests to {args.long_out}")


if __name__ == "__main__":
    main()
