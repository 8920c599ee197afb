#!/usr/bin/env python3
"""Small SentencePiece models that exercise what Llama 2's model does not use,
trained by the SentencePiece library itself (python3-sentencepiece; run with
/usr/bin/python3), and their golden ids over every 8th corpus line.

Writes to tests/fixtures/tokenizer/spm/:
  nfkc_bpe.model        BPE, nmt_nfkc normalization (a precompiled charsmap),
                        remove_extra_whitespaces, byte_fallback, user-defined
                        symbols (<|user|>, [MASK], a llama emoji, "ab") and a control symbol <ctrl>
  identity_nobyte.model BPE, identity, no byte_fallback (unknown runs -> one <unk>),
                        no dummy prefix, whitespace kept as is
  suffix_bpe.model      BPE, identity, byte_fallback, treat_whitespace_as_suffix, split_digits
  unused_bpe.model      suffix_bpe.model with some merged pieces retyped UNUSED (the
                        encoder must split them back into the pair that made them)
  unigram.model         a unigram model (llamafast refuses it)
  long_expected.jsonl   {"model": name, "separator": s, "count": n, "fnv1a64": digest} for
                        the whole corpus joined by s, as in gen_spm_expected.py
  expected.jsonl        {"model": name, "line": corpus line index, "ids": [...],
                        "decoded": SentencePiece's decode of those ids, left out when
                        it is the corpus line itself}

Training data: /usr/share/common-licenses/GPL-3 plus the corpus lines that are
mostly Latin script. Training is single-threaded and the temporary paths are
removed from the models, so reruns give identical files on the same library
version; the committed models are the reference either way.
Usage: gen_spm_synthetic.py [--out-dir DIR]
"""
import argparse
import json
import os
import tempfile

import sentencepiece as spm

from gen_spm_expected import LONG_SEPARATORS, fnv1a64_ids

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "tokenizer")
LINE_STEP = 8  # golden ids for every 8th corpus line keep the fixture small

COMMON = dict(model_type="bpe", num_threads=1, minloglevel=2, character_coverage=0.995, shuffle_input_sentence=False)
MODELS = {
    "nfkc_bpe": dict(vocab_size=800, byte_fallback=True, normalization_rule_name="nmt_nfkc",
                     user_defined_symbols=["<|user|>", "[MASK]", "\U0001F999", "ab"], control_symbols=["<ctrl>"]),
    "identity_nobyte": dict(vocab_size=400, normalization_rule_name="identity", byte_fallback=False,
                            add_dummy_prefix=False, remove_extra_whitespaces=False),
    "suffix_bpe": dict(vocab_size=400, normalization_rule_name="identity", byte_fallback=True,
                       treat_whitespace_as_suffix=True, split_digits=True),
}


# ---------------------------------------------------------------- protobuf wire format (to retype pieces)

def read_varint(b, i):
    v, shift = 0, 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def write_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def fields(b):
    """(field, wire type, raw value bytes including nothing of the key) for each field."""
    i = 0
    while i < len(b):
        key, i = read_varint(b, i)
        f, w = key >> 3, key & 7
        start = i
        if w == 0:
            _, i = read_varint(b, i)
            yield f, w, b[start:i]
        elif w == 1:
            i += 8
            yield f, w, b[start:i]
        elif w == 5:
            i += 4
            yield f, w, b[start:i]
        elif w == 2:
            n, i = read_varint(b, i)
            yield f, w, b[i:i + n]
            i += n
        else:
            raise ValueError(f"wire type {w}")


def encode_field(f, w, value):
    key = write_varint((f << 3) | w)
    if w == 2:
        return key + write_varint(len(value)) + value
    return key + value


def retype_pieces(model_bytes, ids, new_type):
    """Returns the model with pieces `ids` given SentencePiece type `new_type`."""
    out, index = bytearray(), 0
    for f, w, v in fields(model_bytes):
        if f == 1 and w == 2:
            if index in ids:
                piece = b"".join(encode_field(pf, pw, pv) for pf, pw, pv in fields(v) if pf != 3)
                v = piece + encode_field(3, 0, write_varint(new_type))
            index += 1
        out += encode_field(f, w, v)
    return bytes(out)


def drop_training_paths(model_bytes):
    """Removes TrainerSpec.input (1) and model_prefix (2): temporary paths that
    would make every regenerated model differ."""
    out = bytearray()
    for f, w, v in fields(model_bytes):
        if f == 2 and w == 2:
            v = b"".join(encode_field(tf, tw, tv) for tf, tw, tv in fields(v) if tf not in (1, 2))
        out += encode_field(f, w, v)
    return bytes(out)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", default=os.path.join(FIXTURES, "spm"))
    ap.add_argument("--corpus", default=os.path.join(FIXTURES, "corpus.jsonl"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    with open(args.corpus, encoding="utf-8", newline="\n") as f:
        corpus = [json.loads(line) for line in f.read().split("\n") if line]
    with open("/usr/share/common-licenses/GPL-3", encoding="utf-8") as f:
        train_lines = [line for line in f.read().split("\n") if line.strip()]
    train_lines += [s.replace("\n", " ") for s in corpus if 0 < len(s) < 300 and all(ord(c) < 0x250 for c in s)]

    with tempfile.TemporaryDirectory() as tmp:
        train_file = os.path.join(tmp, "train.txt")
        with open(train_file, "w", encoding="utf-8") as f:
            f.write("\n".join(train_lines) + "\n")
        for name, opts in MODELS.items():
            spm.SentencePieceTrainer.train(input=train_file, model_prefix=os.path.join(args.out_dir, name),
                                           **COMMON, **opts)
        spm.SentencePieceTrainer.train(input=train_file, model_prefix=os.path.join(args.out_dir, "unigram"),
                                       **dict(COMMON, model_type="unigram"), vocab_size=100,
                                       normalization_rule_name="identity")
    for name in list(MODELS) + ["unigram"]:
        os.remove(os.path.join(args.out_dir, name + ".vocab"))
        path = os.path.join(args.out_dir, name + ".model")
        with open(path, "rb") as f:
            model = drop_training_paths(f.read())
        with open(path, "wb") as f:
            f.write(model)

    # UNUSED pieces: every 5th of the first 100 merged pieces of suffix_bpe.
    with open(os.path.join(args.out_dir, "suffix_bpe.model"), "rb") as f:
        suffix = f.read()
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out_dir, "suffix_bpe.model"))
    merged = [i for i in range(sp.get_piece_size())
              if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i)) and len(sp.id_to_piece(i)) > 1]
    unused = set(merged[:100:5])
    with open(os.path.join(args.out_dir, "unused_bpe.model"), "wb") as f:
        f.write(retype_pieces(suffix, unused, 5))

    expected_path = os.path.join(args.out_dir, "expected.jsonl")
    with open(expected_path, "w", encoding="utf-8", newline="\n") as f:
        for name in list(MODELS) + ["unused_bpe"]:
            sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out_dir, name + ".model"))
            if name == "unused_bpe":
                assert sum(sp.is_unused(i) for i in range(sp.get_piece_size())) == len(unused)
            for line in range(0, len(corpus), LINE_STEP):
                ids = sp.encode(corpus[line].encode("utf-8"))
                record = {"model": name, "line": line, "ids": ids}
                decoded = sp.decode(ids)
                if decoded != corpus[line]:
                    record["decoded"] = decoded
                f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":"))
                        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\u0085", "\\u0085")
                        + "\n")
    with open(os.path.join(args.out_dir, "long_expected.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for name in list(MODELS) + ["unused_bpe"]:
            sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out_dir, name + ".model"))
            for sep in LONG_SEPARATORS:
                ids = sp.encode(sep.join(corpus).encode("utf-8"))
                f.write(json.dumps({"model": name, "separator": sep, "count": len(ids),
                                    "fnv1a64": fnv1a64_ids(ids)}) + "\n")
    print(f"wrote models, {expected_path} and long_expected.jsonl")


if __name__ == "__main__":
    main()
