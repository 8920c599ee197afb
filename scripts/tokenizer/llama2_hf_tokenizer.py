#!/usr/bin/python3
"""Writes a Hugging Face tokenizer.json (+ tokenizer_config.json) for Meta's Llama 2
SentencePiece model, so that llamafast's tokenizer.json reader can be checked for
parity with SentencePiece on the Metaspace / byte-fallback configuration used by
Llama-2-family checkpoints on the Hub.

Run with Debian's python (/usr/bin/python3, which has python3-sentencepiece):
    llama2_hf_tokenizer.py [--model ../shared/tokenizers/llama2/tokenizer.model] --out DIR

How the BPE merges are derived (SentencePiece stores scores, not merges):
SentencePiece's BPE repeatedly joins the adjacent pair whose concatenation is the
highest-scoring piece. A merge list reproduces that when every way of writing a
normal piece as two vocabulary pieces (left + right, split between characters)
is a merge, and merges are ranked by the score of the piece they form, highest
first. Merges forming the same piece are ranked by the ids of the left, then the
right piece; among pieces of equal score, the lower piece id ranks first. Control,
unknown and byte pieces form no merges.

The rest of the configuration is the one Hugging Face's Llama 2 conversion uses:
normalizer Sequence[Prepend("▁"), Replace(" " -> "▁")], no pre-tokenizer, BPE with
byte_fallback and fuse_unk, unk "<unk>", decoder Sequence[Replace("▁" -> " "),
ByteFallback, Fuse, Strip(" ", 1, 0)], BOS added by a TemplateProcessing step.
"""
import argparse
import json
import os

import sentencepiece as spm

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_MODEL = os.path.join(os.path.dirname(REPO), "shared", "tokenizers", "llama2", "tokenizer.model")
SPACE = "\u2581"


def build(model_path):
    sp = spm.SentencePieceProcessor(model_file=model_path)
    n = sp.get_piece_size()
    pieces = [sp.id_to_piece(i) for i in range(n)]
    vocab = {p: i for i, p in enumerate(pieces)}
    mergeable = [not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i) or sp.is_unused(i)) for i in range(n)]

    ranked = []  # (sort key, left, right)
    for merged_id, piece in enumerate(pieces):
        if not mergeable[merged_id] or len(piece) < 2:
            continue
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            lid, rid = vocab.get(left), vocab.get(right)
            if lid is None or rid is None or not mergeable[lid] or not mergeable[rid]:
                continue
            ranked.append(((-sp.get_score(merged_id), merged_id, lid, rid), left, right))
    ranked.sort(key=lambda r: r[0])
    merges = [[left, right] for _, left, right in ranked]

    def added(i):
        return {"id": i, "content": pieces[i], "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True}

    bos, eos, unk = sp.bos_id(), sp.eos_id(), sp.unk_id()
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added(unk), added(bos), added(eos)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": SPACE},
            {"type": "Replace", "pattern": {"String": " "}, "content": SPACE},
        ]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": pieces[bos], "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": pieces[bos], "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": pieces[bos], "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {pieces[bos]: {"id": pieces[bos], "ids": [bos], "tokens": [pieces[bos]]}},
        },
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0},
        ]},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": pieces[unk], "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
            "vocab": vocab, "merges": merges,
        },
    }
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": pieces[bos], "eos_token": pieces[eos],
              "unk_token": pieces[unk], "tokenizer_class": "LlamaTokenizer"}
    return tokenizer, config


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--out", required=True, help="folder for tokenizer.json and tokenizer_config.json")
    args = ap.parse_args()
    tokenizer, config = build(args.model)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)
    print(f"{args.out}: {len(tokenizer['model']['vocab'])} pieces, {len(tokenizer['model']['merges'])} merges")


if __name__ == "__main__":
    main()
