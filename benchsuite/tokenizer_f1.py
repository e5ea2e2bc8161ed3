#!/usr/bin/env python3
"""Tokenizer accuracy against gold word segmentation, and how many evaluation-set words stay whole.

usage: python3 benchsuite/tokenizer_f1.py [--w2v target/release/w2v]

Inputs (../shared/data/multilingual): the Universal Dependencies dev and test treebanks in ud/
(Chinese GSDSimp, Japanese GSD, Russian GSD and Taiga) and the word lists of eval/zh and eval/ru
and eval/ja. For each treebank, every sentence's `# text =` line is cut by `w2v tokenize` (once
per tokenizer setting), and compared with the treebank's words (the FORM column), punctuation
and symbols (UPOS PUNCT, SYM) left out because the tokenizer drops them, and every gold word
normalised as the tokenizer normalises (NFKC, then case folding). Scores are token precision,
recall and F1 per sentence over the multiset of words (a word counts as right when the same
word occurs as often in the gold sentence), summed over the treebank. "Whole" is the share of
the evaluation sets' distinct words that the tokenizer keeps as one word.
"""
import argparse
import collections
import glob
import os
import subprocess
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ML = os.path.join(HERE, "..", "..", "shared", "data", "multilingual")
SETTINGS = {
    "zh": {
        "unicode, jieba for Chinese": ["--tokenizer", "unicode"],
        "unicode, ICU for Chinese": ["--tokenizer", "unicode", "--chinese-segmenter", "icu"],
    },
    "ja": {
        "unicode, ICU for Japanese": ["--tokenizer", "unicode"],
        "unicode, TinySegmenter for Japanese": ["--tokenizer", "unicode",
                                                "--japanese-segmenter", "tinysegmenter"],
    },
    "ru": {"unicode": ["--tokenizer", "unicode"]},
}


def read_conllu(path):
    """(text, gold words) per sentence."""
    out, text, words = [], None, []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("# text = "):
            text = line[len("# text = "):]
        elif not line:
            if text is not None:
                out.append((text, words))
            text, words = None, []
        elif not line.startswith("#"):
            cols = line.split("\t")
            if "-" in cols[0] or "." in cols[0]:
                continue
            if cols[3] in ("PUNCT", "SYM"):
                continue
            words.append(unicodedata.normalize("NFKC", cols[1]).casefold())
    return out


def tokenize(w2v, lines, flags):
    r = subprocess.run([w2v, "tokenize", "-", "--quiet", *flags], input="\n".join(lines) + "\n",
                       capture_output=True, text=True, check=True)
    got = r.stdout.split("\n")[: len(lines)]
    assert len(got) == len(lines), (len(got), len(lines))
    return [g.split() for g in got]


def f1(pairs):
    tp = npred = ngold = 0
    for pred, gold in pairs:
        p, g = collections.Counter(pred), collections.Counter(gold)
        tp += sum((p & g).values())
        npred += len(pred)
        ngold += len(gold)
    prec, rec = tp / max(npred, 1), tp / max(ngold, 1)
    return prec, rec, 2 * prec * rec / max(prec + rec, 1e-12)


def eval_words(lang):
    """Distinct words of the evaluation sets of one language."""
    words = set()
    for path in glob.glob(os.path.join(ML, "eval", lang, "*")):
        if path.endswith((".txt", ".csv")) and "README" not in path and "LICENSE" not in path:
            for i, line in enumerate(open(path, encoding="utf-8-sig")):
                line = line.strip()
                if not line or line.startswith(":") or line.startswith("#"):
                    continue
                sep = "\t" if "\t" in line else ("," if "," in line else None)
                fields = line.split(sep)
                n = 4 if path.endswith("ca_translated.txt") else 2
                if i == 0 and path.endswith(".csv"):
                    continue  # header
                words.update(f.strip() for f in fields[:n])
    return sorted(w for w in words if w)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--w2v", default=os.path.join(HERE, "..", "target", "release", "w2v"))
    a = ap.parse_args()
    print("| treebank | sentences | gold words | tokenizer | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|")
    for path in sorted(glob.glob(os.path.join(ML, "ud", "*", "*.conllu"))):
        sents = read_conllu(path)
        name = os.path.basename(path).replace("-ud-", " ").replace(".conllu", "")
        ngold = sum(len(w) for _, w in sents)
        settings = SETTINGS[name[:2]]
        for label, flags in settings.items():
            pred = tokenize(a.w2v, [t for t, _ in sents], flags)
            p, r, f = f1(zip(pred, (w for _, w in sents)))
            print(f"| {name} | {len(sents)} | {ngold} | {label} | {p:.3f} | {r:.3f} | {f:.3f} |")
    print()
    print("| evaluation words | distinct words | tokenizer | kept whole |")
    print("|---|---|---|---|")
    for lang in ("zh", "ja", "ru"):
        words = eval_words(lang)
        settings = SETTINGS[lang]
        for label, flags in settings.items():
            cut = tokenize(a.w2v, words, flags)
            whole = sum(len(c) == 1 for c in cut)
            print(f"| {lang} | {len(words)} | {label} | {whole / len(words):.1%} |")


if __name__ == "__main__":
    main()
