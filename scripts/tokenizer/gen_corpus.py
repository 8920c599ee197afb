#!/usr/bin/env python3
"""Writes the tokenizer test corpus: tests/fixtures/tokenizer/corpus.jsonl.

One JSON string per line (UTF-8; U+0085, U+2028 and U+2029 are written as
\\u escapes so that no line-splitting routine can cut an entry in two). Every
tokenizer's golden data (SentencePiece for Llama 2, tiktoken/tokenizer.json
for Llama 3) is computed over this same list, so the corpus aims at the
places tokenizers disagree: whitespace runs, digits, punctuation, code,
emoji sequences, non-Latin scripts, combining marks, rare code points that
only byte fallback can spell, very long words, empty and space-only strings.

Deterministic: the output depends only on SEED and this file.
Usage: gen_corpus.py [--out PATH]
"""
import argparse
import json
import os
import random

SEED = 20240604
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUT = os.path.join(REPO, "tests", "fixtures", "tokenizer", "corpus.jsonl")

# ------------------------------------------------------------------ vocabularies

WORDS = """the of and to in is was that for on with as by at from it his an were are which this be
has had not but have first one their its new after who they been her also she two all other
time when there into him more would than over only most some three between then out up world
machine learning model token language network dream light water city house river mountain
quickly slowly beautiful strange ancient electric quantum silent golden broken hidden gentle
run running ran walk walked think thought understand understanding unbelievable internationalization
Hello World Python London January Monday NASA OpenAI GPU CPU HTTP JSON Llama Mistral
don't can't won't it's I'm you're we'll they've she'd he's isn't aren't wouldn't y'all o'clock
naïve café résumé coöperate façade jalapeño Zürich São Paulo""".split()

CODE_SNIPPETS = [
    "def f(x):\n    return x * 2\n",
    "for i in range(10):\n\tprint(i)\n",
    "int main(int argc, char** argv) {\n  return 0;\n}\n",
    "#include <stdio.h>\n\nint main(void) { printf(\"%d\\n\", 42); }",
    "const add = (a, b) => a + b;\nconsole.log(add(1, 2));",
    "if (x != nullptr && x->next) { x = x->next; } else { break; }",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
    "<div class=\"box\"><p>Hi &amp; bye</p></div>",
    "{\"key\": [1, 2.5, true, null], \"nested\": {\"a\": \"b\"}}",
    "$ ls -la | grep '.cpp' > out.txt 2>&1 && echo done",
    "template <class T> std::vector<T> v{1, 2, 3}; // comment",
    "fn main() { let x: Vec<u8> = vec![0xff; 16]; println!(\"{:?}\", x); }",
    "    indented = True\n        more_indented = [i**2 for i in xs if i % 2 == 0]",
    "#!/bin/bash\nset -euo pipefail\nfor f in *.txt; do wc -l \"$f\"; done",
    "a += b; c -= d; e *= f; g /= h; i %= j; k <<= 1; l >>= 2; m ^= n; o |= p; q &= r;",
    "x = {'a': 1, 'b': [2, 3]}\ny = x.get('c', None) or {}\n",
    "/* block\n   comment */ int y = (a<<3)|(b>>2)&0x7F;",
    "public static void main(String[] args) throws Exception {}",
    "git commit -m \"Fix: handle \\\"quoted\\\" input\" --no-verify",
    "matrix[i][j] = sum(a[i][k] * b[k][j] for k in range(n))",
]

PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["...", "--", "—", "–", "«", "»", "“", "”", "‘",
                                                  "’", "¿", "¡", "•", "·", "…", "§", "¶", "†",
                                                  "©", "®", "™", "°", "±", "×", "÷", "€", "£",
                                                  "¥", "¢", "‰", "′", "″", "→", "←", "⇒", "∀",
                                                  "∑", "√", "∞", "≠", "≤", "≥"]

WHITESPACE = [" ", " ", " ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2009", "\u200b",
              "\v", "\f", "\u2003"]

EMOJI = ["😀", "😂", "🥲", "😍", "🤔", "👍", "👍🏽", "👋🏿", "🙏", "🔥", "✨", "❤️", "💔", "🎉", "🚀",
         "🦙", "🐍", "🌍", "🍕", "⚽", "☕", "✅", "❌", "⭐", "🌈", "🧠", "🤖", "👀", "💯", "🙈"]
ZWJ_SEQUENCES = ["👨‍👩‍👧‍👦", "👩‍💻", "🧑‍🚀", "👨‍❤️‍👨", "🏳️‍🌈", "🏴‍☠️", "👁️‍🗨️", "🧔‍♂️",
                 "👩🏽‍🔬", "🐻‍❄️", "❤️‍🔥", "🫱🏼‍🫲🏿"]
FLAGS = ["🇺🇸", "🇬🇧", "🇫🇷", "🇩🇪", "🇯🇵", "🇨🇳", "🇮🇳", "🇧🇷", "🇺🇦", "🇪🇺", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"]
KEYCAPS = ["1️⃣", "#️⃣", "*️⃣", "🔟"]

SCRIPT_SAMPLES = {
    "zh": ["我想在apple工作", "今天天气很好。", "机器学习是人工智能的一个分支", "你好，世界！", "三百六十五天"],
    "ja": ["こんにちは世界", "東京タワーに行きました。", "カタカナとひらがな", "ｶﾀｶﾅ半角", "〜ですね！"],
    "ko": ["안녕하세요 세계", "한국어 문장입니다.", "기계 학습", "ㅋㅋㅋ ㅎㅎ"],
    "ar": ["مرحبا بالعالم", "اللغة العربية جميلة", "السَّلَامُ عَلَيْكُمْ", "١٢٣٤٥٦٧٨٩٠"],
    "he": ["שלום עולם", "עִבְרִית עם ניקוד", "ספר טוב"],
    "hi": ["नमस्ते दुनिया", "मशीन लर्निंग", "हिन्दी भाषा", "क्षत्रिय"],
    "th": ["สวัสดีชาวโลก", "ภาษาไทยไม่มีช่องว่าง"],
    "ru": ["Привет, мир!", "машинное обучение", "ЁЛКИ-ПАЛКИ", "не было ни гроша"],
    "el": ["Γειά σου Κόσμε", "μηχανική μάθηση", "ΑΒΓΔ"],
    "km": ["ស្វាគមន៍មកកាន់", "ភាសាខ្មែរ"],
    "am": ["ሰላም ልዑል"],
    "ka": ["გამარჯობა მსოფლიო"],
    "ta": ["வணக்கம் உலகம்"],
    "vi": ["Xin chào thế giới", "Tiếng Việt có dấu"],
}

# (first, last) code point ranges to draw random characters from.
RANGES = {
    "cjk": (0x4E00, 0x9FFF),
    "cjk_ext_b": (0x20000, 0x2A6DF),
    "hiragana": (0x3041, 0x3096),
    "katakana": (0x30A1, 0x30FA),
    "hangul": (0xAC00, 0xD7A3),
    "arabic": (0x0621, 0x064A),
    "hebrew": (0x05D0, 0x05EA),
    "devanagari": (0x0905, 0x0939),
    "cyrillic": (0x0410, 0x044F),
    "greek": (0x0391, 0x03C9),
    "thai": (0x0E01, 0x0E2E),
    "latin_ext": (0x0100, 0x024F),
    "ipa": (0x0250, 0x02AF),
    "math_alnum": (0x1D400, 0x1D7FF),
    "box": (0x2500, 0x257F),
    "braille": (0x2800, 0x28FF),
    "egyptian": (0x13000, 0x1342E),
    "cuneiform": (0x12000, 0x12399),
    "linear_b": (0x10000, 0x1005D),
}
COMBINING = (0x0300, 0x036F)


def is_scalar(cp):
    return not (0xD800 <= cp <= 0xDFFF)


def rand_cp(rng, lo, hi):
    while True:
        cp = rng.randint(lo, hi)
        if is_scalar(cp):
            return chr(cp)


def rand_range_text(rng, name, n):
    lo, hi = RANGES[name]
    return "".join(rand_cp(rng, lo, hi) for _ in range(n))


def sentence(rng, n_words=None):
    n = n_words or rng.randint(3, 18)
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.6:
        words[0] = words[0].capitalize()
    out = []
    for w in words:
        out.append(w)
        if rng.random() < 0.12:
            out[-1] += rng.choice([",", ";", ":", ""])
    return " ".join(out) + rng.choice([".", "!", "?", "", "...", "\n"])


def number(rng):
    kind = rng.randrange(10)
    if kind == 0:
        return str(rng.randint(0, 9))
    if kind == 1:
        return str(rng.randint(10, 10 ** rng.randint(2, 30)))
    if kind == 2:
        return f"{rng.uniform(-1e6, 1e6):.{rng.randint(1, 8)}f}"
    if kind == 3:
        return f"{rng.randint(1, 999)},{rng.randint(0, 999):03d},{rng.randint(0, 999):03d}"
    if kind == 4:
        return f"{rng.randint(1900, 2100)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if kind == 5:
        return f"+1 ({rng.randint(200, 999)}) {rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"
    if kind == 6:
        return hex(rng.getrandbits(rng.randint(4, 64)))
    if kind == 7:
        return f"{rng.uniform(0, 1):.3e}"
    if kind == 8:
        return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    return f"v{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}"


def whitespace_run(rng, n):
    return "".join(rng.choice(WHITESPACE) for _ in range(n))


# ------------------------------------------------------------------ categories

def fixed_cases():
    """Hand-picked edge cases, in a fixed order at the top of the file."""
    cases = [
        "", " ", "  ", "   ", "\t", "\n", "\n\n", "\n\n\n", "\t\n", "\r\n", " \n ", "\n ", " \t ",
        "a", "A", "1", ".", "Hello", "Hello world", " Hello world", "Hello world ", "  Hello  world  ",
        "hello\nworld", "hello\n\nworld", "hello\tworld", "hello \n world", "Hello, world!",
        " leading space", "trailing space ", "   three leading", "three trailing   ",
        "\u00a0non-breaking\u00a0space", "ideographic\u3000space", "zero\u200bwidth\u200cjoiner\u200d",
        "\ufeffBOM at start", "line\u2028separator\u2029paragraph", "next\u0085line",
        "I'm", "don't", "we'll", "they've", "she'd", "'s", "'S", "'T", "'RE", "'Ve", "'lL",
        "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea?",
        "1234567890", "12345678901234567890", "3.14159", "1,000,000", "1 000 000", "-42", "0x1F600",
        "3333333", "33333333333", "3 33 333 3333", "1.2.3.4",
        "!!!", "???", "...", "----", "====", "''''''", "``````", "\"\"\"\"", "......!!!!!!??????",
        "<s>", "</s>", "<unk>", "<pad>", "<s> hello </s>", "<0x41>", "<0x0A>", "[INST] hi [/INST]",
        "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>user<|end_header_id|>",
        "<|reserved_special_token_0|>", "<|eot_id|><|eot_id|>", "<|eot_id", "<|", "|>",
        "\u2581", "\u2581hello", "hello\u2581world", "\u2581\u2581", " \u2581 ",
        "\ufffd", "\u0000", "a\u0000b", "\u0001\u0002\u0003\u001f", "\u007f", "\u0080\u009f",
        "\U0010ffff", "\uffff", "\ufffe", "\U0001fffe", "\ue000", "\U000f0000", "\U000e0001",
        "\u0378", "\u0bff", "\U0003fffd", "\U000e01ef",
        "é", "e\u0301", "\u0301", "\u0301\u0301\u0301", "a\u0308\u0304", "\ufb01", "\ufb03", "\u00c5", "\u212b", "A\u030a", "\u03a9", "\u2126",
        "ｈｅｌｌｏ", "①②③", "²³", "½", "Ⅻ", "㎏", "㍻", "ﾊﾞ", "ᄀ\u1161\u11a8", "각",
        "🦙", "👨‍👩‍👧‍👦", "🇺🇸🇬🇧", "🏳️‍🌈", "1️⃣", "👍🏽", "❤️", "❤",
        "ied 4 ½ months", "Führer", "w048 7tuijk dsdfhu", "нещо на Български",
        "ភាសាខ្មែរ", "🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ (only emoji that has its own token)",
        "我想在apple工作1314151天～", "3...3", "3..3", "33..33",
        "a" * 1000, " " * 1000, "\n" * 1000, "ab" * 600, "1" * 1200, "🦙" * 300, "我" * 500,
        "x" * 5000,
    ]
    return cases


def gen_ascii_sentences(rng, n):
    out = []
    for _ in range(n):
        k = rng.randint(1, 4)
        out.append(" ".join(sentence(rng) for _ in range(k)).strip() if rng.random() < 0.8
                   else sentence(rng))
    return out


def gen_whitespace(rng, n):
    out = []
    for _ in range(n):
        kind = rng.randrange(6)
        if kind == 0:
            out.append(whitespace_run(rng, rng.randint(1, 40)))
        elif kind == 1:
            out.append(whitespace_run(rng, rng.randint(1, 8)) + sentence(rng, rng.randint(1, 5)))
        elif kind == 2:
            out.append(sentence(rng, rng.randint(1, 5)) + whitespace_run(rng, rng.randint(1, 8)))
        elif kind == 3:
            words = [rng.choice(WORDS) for _ in range(rng.randint(2, 10))]
            out.append("".join(w + whitespace_run(rng, rng.randint(1, 6)) for w in words))
        elif kind == 4:
            out.append(rng.choice([" ", "\t", "\n"]) * rng.randint(2, 70) + rng.choice(WORDS))
        else:
            lines = [sentence(rng, rng.randint(1, 6)).strip() for _ in range(rng.randint(2, 6))]
            sep = rng.choice(["\n", "\n\n", "\r\n", " \n", "\n\t", "\n    "])
            out.append(sep.join(lines))
    return out


def gen_numbers(rng, n):
    out = []
    for _ in range(n):
        kind = rng.randrange(4)
        if kind == 0:
            out.append(number(rng))
        elif kind == 1:
            out.append(" ".join(number(rng) for _ in range(rng.randint(2, 6))))
        elif kind == 2:
            out.append(f"{rng.choice(WORDS)} {number(rng)} {rng.choice(WORDS)}{number(rng)}")
        else:
            out.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 60))))
    return out


def gen_punctuation(rng, n):
    out = []
    for _ in range(n):
        kind = rng.randrange(4)
        if kind == 0:
            out.append("".join(rng.choice(PUNCT) for _ in range(rng.randint(1, 20))))
        elif kind == 1:
            out.append(rng.choice(PUNCT) * rng.randint(2, 30))
        elif kind == 2:
            out.append("".join(rng.choice(WORDS) + rng.choice(PUNCT) for _ in range(rng.randint(1, 8))))
        else:
            w = rng.choice(WORDS)
            out.append(rng.choice(["(", "[", "{", "\"", "'", "<", "«"]) + w +
                       rng.choice([")", "]", "}", "\"", "'", ">", "»"]) + rng.choice(PUNCT))
    return out


def gen_code(rng, n):
    out = []
    for _ in range(n):
        k = rng.randint(1, 3)
        snippet = "\n".join(rng.choice(CODE_SNIPPETS) for _ in range(k))
        if rng.random() < 0.3:
            indent = rng.choice(["  ", "    ", "\t", "        "])
            snippet = "\n".join(indent + line for line in snippet.split("\n"))
        out.append(snippet)
    return out


def gen_emoji(rng, n):
    pools = [EMOJI, ZWJ_SEQUENCES, FLAGS, KEYCAPS]
    out = []
    for _ in range(n):
        kind = rng.randrange(5)
        if kind == 0:
            out.append(rng.choice(rng.choice(pools)))
        elif kind == 1:
            out.append("".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(2, 10))))
        elif kind == 2:
            out.append(sentence(rng, rng.randint(2, 6)) + " " + rng.choice(rng.choice(pools)))
        elif kind == 3:
            out.append(" ".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(2, 8))))
        else:  # random code points from the emoji blocks, assigned or not
            out.append("".join(rand_cp(rng, 0x1F300, 0x1FAFF) for _ in range(rng.randint(1, 6))))
    return out


def gen_scripts(rng, n):
    keys = sorted(SCRIPT_SAMPLES)
    ranges = sorted(RANGES)
    out = []
    for _ in range(n):
        kind = rng.randrange(4)
        if kind == 0:
            out.append(rng.choice(SCRIPT_SAMPLES[rng.choice(keys)]))
        elif kind == 1:
            lang = rng.choice(keys)
            out.append(" ".join(rng.choice(SCRIPT_SAMPLES[lang]) for _ in range(rng.randint(2, 4))))
        elif kind == 2:
            out.append(rand_range_text(rng, rng.choice(ranges), rng.randint(1, 30)))
        else:
            words = [rand_range_text(rng, rng.choice(ranges), rng.randint(1, 6)) for _ in range(rng.randint(2, 7))]
            out.append(" ".join(words))
    return out


def gen_combining(rng, n):
    out = []
    for _ in range(n):
        kind = rng.randrange(4)
        if kind == 0:  # letters with one or two marks
            out.append("".join(rng.choice("aeiouncAEIOUNC") + rand_cp(rng, *COMBINING) *
                               rng.randint(1, 2) for _ in range(rng.randint(1, 10))))
        elif kind == 1:  # "zalgo" stacks
            base = rng.choice(WORDS)
            out.append("".join(c + "".join(rand_cp(rng, *COMBINING) for _ in range(rng.randint(3, 12)))
                               for c in base))
        elif kind == 2:  # marks with nothing to combine with
            out.append(rng.choice(["", " ", "\n"]) + "".join(rand_cp(rng, *COMBINING)
                                                            for _ in range(rng.randint(1, 5))))
        else:  # Indic/Hebrew/Arabic marks on their own base letters
            base = rng.choice(["क", "ש", "ب", "ก"])
            marks = {"क": (0x093E, 0x094D), "ש": (0x05B0, 0x05BC), "ب": (0x064B, 0x0652), "ก": (0x0E31, 0x0E3A)}
            out.append("".join(base + rand_cp(rng, *marks[base]) for _ in range(rng.randint(1, 8))))
    return out


def gen_rare(rng, n):
    """Code points that only byte fallback can spell: unassigned, private use,
    noncharacters, supplementary planes, C0/C1 controls."""
    out = []
    for _ in range(n):
        kind = rng.randrange(6)
        k = rng.randint(1, 5)
        if kind == 0:
            s = "".join(rand_cp(rng, 0x30000, 0x10FFFF) for _ in range(k))
        elif kind == 1:
            s = "".join(rand_cp(rng, 0xE000, 0xF8FF) for _ in range(k))
        elif kind == 2:
            s = "".join(chr(rng.choice([0xFDD0 + rng.randrange(32), 0xFFFE, 0xFFFF,
                                        (rng.randrange(17) << 16) | 0xFFFE])) for _ in range(k))
        elif kind == 3:
            s = "".join(chr(rng.choice([rng.randrange(0x01, 0x20), rng.randrange(0x7F, 0xA0)])) for _ in range(k))
        elif kind == 4:
            s = "".join(rand_cp(rng, 0x0080, 0xFFFF) for _ in range(k))
        else:
            s = "".join(rand_cp(rng, 0x10000, 0x2FFFF) for _ in range(k))
        if rng.random() < 0.5:
            s = rng.choice(WORDS) + rng.choice(["", " "]) + s + rng.choice(["", " "]) + rng.choice(WORDS)
        out.append(s)
    return out


def gen_long_words(rng, n):
    out = []
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    for i in range(n):
        length = rng.randint(1000, 2500)
        kind = i % 6
        if kind == 0:
            out.append("".join(rng.choice(alphabet) for _ in range(length)))
        elif kind == 1:
            unit = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 7)))
            out.append((unit * (length // len(unit) + 1))[:length])
        elif kind == 2:
            out.append("".join(rng.choice("0123456789") for _ in range(length)))
        elif kind == 3:
            out.append(rand_range_text(rng, "cjk", length // 3))
        elif kind == 4:
            out.append("".join(rng.choice(alphabet + alphabet.upper() + "0123456789_") for _ in range(length)))
        else:
            out.append(" ".join(rng.choice(WORDS) for _ in range(length // 6)))
    return out


def gen_mixed(rng, n):
    makers = [
        lambda: sentence(rng, rng.randint(1, 6)),
        lambda: number(rng),
        lambda: rng.choice(PUNCT),
        lambda: rng.choice(EMOJI + ZWJ_SEQUENCES + FLAGS),
        lambda: rng.choice(SCRIPT_SAMPLES[rng.choice(sorted(SCRIPT_SAMPLES))]),
        lambda: whitespace_run(rng, rng.randint(1, 4)),
        lambda: rand_range_text(rng, rng.choice(sorted(RANGES)), rng.randint(1, 4)),
        lambda: rng.choice(CODE_SNIPPETS),
        lambda: rand_cp(rng, 0x80, 0x10FFFF),
    ]
    out = []
    for _ in range(n):
        parts = [rng.choice(makers)() for _ in range(rng.randint(2, 8))]
        joiner = rng.choice(["", " ", " ", "\n"])
        out.append(joiner.join(parts))
    return out


def build_corpus():
    rng = random.Random(SEED)
    corpus = fixed_cases()
    corpus += gen_ascii_sentences(rng, 350)
    corpus += gen_whitespace(rng, 250)
    corpus += gen_numbers(rng, 180)
    corpus += gen_punctuation(rng, 160)
    corpus += gen_code(rng, 120)
    corpus += gen_emoji(rng, 180)
    corpus += gen_scripts(rng, 260)
    corpus += gen_combining(rng, 110)
    corpus += gen_rare(rng, 130)
    corpus += gen_long_words(rng, 24)
    corpus += gen_mixed(rng, 300)
    for s in corpus:
        assert all(is_scalar(ord(c)) for c in s)
    return corpus


def to_json_line(s):
    line = json.dumps(s, ensure_ascii=False)
    for ch in ("\u0085", "\u2028", "\u2029"):
        line = line.replace(ch, "\\u%04x" % ord(ch))
    return line


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    corpus = build_corpus()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for s in corpus:
            f.write(to_json_line(s) + "\n")
    print(f"wrote {len(corpus)} strings to {args.out}")


if __name__ == "__main__":
    main()
