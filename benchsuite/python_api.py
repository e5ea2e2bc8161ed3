#!/usr/bin/env python3
"""The Python package against the CLI and against gensim, run with the Python that has `w2v`
and gensim installed (e.g. `pip install ./python gensim`).

  file       w2v.train(path) against `w2v train` on the same file: training seconds (model card)
             and whole-call wall time, alternating runs, medians.
  sentences  w2v.train(sentences=it) against gensim's Word2Vec(sentences=it), the same
             re-iterable Python iterable over the same tokens (lists of 1,000), same settings,
             2 workers: wall time of the call, and the quality of both on the eval sets.
  spool      what reading `sentences` costs: one pure-Python pass over the iterable (what
             gensim pays once per epoch and once for the vocabulary) against w2v's one pass
             that also writes the tokens to the temporary file every epoch then reads.
  load       w2v.load against gensim's load_word2vec_format on a 1M x 300 binary file of
             random vectors (written once to --scratch), alternating runs, medians.

Settings: the reference configuration (dim 100, window 5, negative 5, min-count 5, sample 1e-4,
5 epochs, lr 0.025 skip-gram, 2 threads). Corpus: ../shared/data/enwiki_text8style_100M.gz,
decompressed once into --scratch. Every run is appended to --log as JSON; the table is printed
at the end.

  python benchsuite/python_api.py --parts file,sentences,spool,load --runs 3
"""

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(ROOT, "..", "shared")
EVAL = os.path.join(SHARED, "data", "eval")
SETTINGS = dict(model="skipgram", dim=100, window=5, negative=5, min_count=5, sample=1e-4, epochs=5, lr=0.025)


class Sentences:
    """Re-iterable lists of `length` tokens from a whitespace-tokenised text file, read in
    1 MiB pieces (the file may be one line)."""

    def __init__(self, path, length=1000):
        self.path, self.length = path, length

    def __iter__(self):
        sentence, rest = [], ""
        with open(self.path, encoding="utf-8") as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                words = (rest + chunk).split()
                rest = "" if chunk[-1].isspace() else words.pop()
                for w in words:
                    sentence.append(w)
                    if len(sentence) == self.length:
                        yield sentence
                        sentence = []
        if rest:
            sentence.append(rest)
        if sentence:
            yield sentence


def plain_corpus(scratch):
    path = os.path.join(scratch, "enwiki_100M.txt")
    if not os.path.exists(path):
        with gzip.open(os.path.join(SHARED, "data", "enwiki_text8style_100M.gz"), "rb") as src, \
                open(path + ".tmp", "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(path + ".tmp", path)
    return path


def quality(kv):
    """Analogy accuracy (30,000 words), SimLex-999 and WS-353 Spearman, by w2v's evaluators."""
    out = {"analogy": kv.evaluate_word_analogies(os.path.join(EVAL, "questions-words.txt"), restrict_vocab=30000)[0]}
    for name in ("simlex999.txt", "wordsim353.tsv"):
        out[name.split(".")[0]] = kv.evaluate_word_pairs(os.path.join(EVAL, name))[1][0]
    return out


def log(path, record):
    record["date"] = time.strftime("%Y-%m-%d %H:%M")
    print("#", json.dumps(record), flush=True)
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def part_file(a, corpus, w2v):
    for run in range(a.first_run - 1, a.first_run - 1 + a.runs):
        for tool in ("cli", "python"):
            t0 = time.perf_counter()
            if tool == "cli":
                with tempfile.TemporaryDirectory() as tmp:
                    out = os.path.join(tmp, "v.bin")
                    flags = []
                    for k, v in SETTINGS.items():
                        flags += [f"--{k.replace('_', '-')}", str(v)]
                    subprocess.run([a.w2v, "train", corpus, "-o", out, "--threads", "2", "--seed", str(run + 1),
                                    "--quiet"] + flags, check=True)
                    card = json.load(open(out + ".json"))
            else:
                card = w2v.train(corpus, threads=2, seed=run + 1, **SETTINGS).stats
            wall = time.perf_counter() - t0
            log(a.log, {"part": "file", "tool": tool, "run": run + 1, "wall_s": wall,
                        "train_s": card["train_seconds"], "words/s": card["words_per_sec"]})


def part_sentences(a, corpus, w2v):
    import gensim

    it = Sentences(corpus)
    for run in range(a.first_run - 1, a.first_run - 1 + a.runs):
        for tool in ("w2v", "gensim"):
            t0 = time.perf_counter()
            if tool == "w2v":
                kv = w2v.train(sentences=it, threads=2, seed=run + 1, **SETTINGS)
            else:
                model = gensim.models.Word2Vec(sentences=it, vector_size=100, window=5, negative=5, min_count=5,
                                               sample=1e-4, epochs=5, alpha=0.025, sg=1, hs=0, workers=2,
                                               seed=run + 1)
                wall = time.perf_counter() - t0
                with tempfile.TemporaryDirectory() as tmp:
                    model.wv.save_word2vec_format(os.path.join(tmp, "g.bin"), binary=True)
                    kv = w2v.load(os.path.join(tmp, "g.bin"))
            wall = wall if tool == "gensim" else time.perf_counter() - t0
            log(a.log, dict({"part": "sentences", "tool": tool, "run": run + 1, "wall_s": wall}, **quality(kv)))


def part_spool(a, corpus, w2v):
    from w2v import _w2v

    it = Sentences(corpus)
    for run in range(a.first_run - 1, a.first_run - 1 + a.runs):
        for tool in ("iterate", "spool"):
            t0 = time.perf_counter()
            if tool == "iterate":
                n = sum(len(s) for s in it)
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    n = _w2v.spool_sentences(it, os.path.join(tmp, "s.txt"))[1]
            log(a.log, {"part": "spool", "tool": tool, "run": run + 1, "wall_s": time.perf_counter() - t0,
                        "tokens": n})


def part_load(a, w2v):
    import numpy as np
    import gensim

    path = os.path.join(a.scratch, "random_1M_300.bin")
    if not os.path.exists(path):
        rng = np.random.default_rng(1)
        with open(path + ".tmp", "wb") as f:
            f.write(b"1000000 300\n")
            for start in range(0, 1_000_000, 10_000):
                block = rng.standard_normal((10_000, 300), dtype=np.float32)
                for i, row in enumerate(block):
                    f.write(b"w%07d " % (start + i) + row.tobytes() + b"\n")
        os.replace(path + ".tmp", path)
    for run in range(a.first_run - 1, a.first_run - 1 + a.runs):
        for tool in ("w2v", "gensim"):
            t0 = time.perf_counter()
            if tool == "w2v":
                kv = w2v.load(path)
                n = len(kv)
            else:
                kv = gensim.models.KeyedVectors.load_word2vec_format(path, binary=True)
                n = len(kv)
            wall = time.perf_counter() - t0
            assert n == 1_000_000
            del kv
            log(a.log, {"part": "load", "tool": tool, "run": run + 1, "wall_s": wall})


def table(path):
    runs = [json.loads(l) for l in open(path) if l.strip()]
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    print("\n| part | tool | runs | wall s (median) | train s (median) | analogy | SimLex-999 | WS-353 |")
    print("|---|---|---|---|---|---|---|---|")
    for part, tools in (("file", ("cli", "python")), ("sentences", ("w2v", "gensim")), ("spool", ("iterate", "spool")),
                        ("load", ("w2v", "gensim"))):
        walls = {}
        for tool in tools:
            rs = [r for r in runs if r["part"] == part and r["tool"] == tool]
            if not rs:
                continue
            walls[tool] = med([r["wall_s"] for r in rs])
            train = med([r["train_s"] for r in rs if "train_s" in r])
            q = [statistics.mean([r[k] for r in rs]) if "analogy" in rs[0] else float("nan")
                 for k in ("analogy", "simlex999", "wordsim353")]
            print(f"| {part} | {tool} | {len(rs)} | {walls[tool]:.1f} | {train:.1f} | "
                  + " | ".join(f"{x:.4f}" for x in q) + " |")
        if len(walls) == 2:
            a, b = tools
            print(f"| {part} | ratio {b}/{a} | | {walls[b] / walls[a]:.2f} | | | | |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="file,sentences,load")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--first-run", type=int, default=1, help="number of the first run (its seed); later batches add runs")
    ap.add_argument("--w2v", default=os.path.join(ROOT, "target", "release", "w2v"))
    ap.add_argument("--scratch", default=os.path.join(tempfile.gettempdir(), "w2v-python-bench"))
    ap.add_argument("--log", default=os.path.join(HERE, "results", "python-api.jsonl"))
    ap.add_argument("--report", action="store_true", help="only print the table from --log")
    a = ap.parse_args()
    if not a.report:
        import w2v

        os.makedirs(a.scratch, exist_ok=True)
        parts = a.parts.split(",")
        corpus = plain_corpus(a.scratch) if {"file", "sentences", "spool"} & set(parts) else None
        for part in parts:
            if part == "file":
                part_file(a, corpus, w2v)
            elif part == "sentences":
                part_sentences(a, corpus, w2v)
            elif part == "spool":
                part_spool(a, corpus, w2v)
            elif part == "load":
                part_load(a, w2v)
            else:
                sys.exit(f"unknown part {part!r}")
    table(a.log)


if __name__ == "__main__":
    main()
