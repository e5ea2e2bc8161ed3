#!/usr/bin/env python3
"""Raw text to vectors: w2v --tokenizer unicode against the standard Python pipeline.

usage: python3 benchsuite/pipeline.py [--langs zh,ru,ja] [--seeds 1,2] [--log FILE] [--report]
                                      [--w2v target/release/w2v] [--python PYTHON]

For each language of ../shared/data/multilingual/corpus (Chinese, Russian, Japanese; raw text,
one paragraph per line) both pipelines train skip-gram with the same settings (dim 100,
window 5, negative 5, min-count 5, sample 1e-4, 5 epochs, 2 threads, the seed):
- w2v: `w2v train CORPUS.gz -o v.bin --tokenizer unicode ...` (tokenising included);
- Python: the tokenizer Chinese, Russian and Japanese word2vec users run (jieba for Chinese,
  razdel for Russian, MeCab through fugashi with unidic-lite for Japanese), tokens without a
  word character dropped and lower-cased, written one paragraph per line, then gensim's
  Word2Vec(corpus_file=...) (its fastest mode). The tokenised file is made once per language
  and its time added to every seed's training time.
Both sets of vectors are scored by `w2v eval` (gensim's numbers; the Python pipeline's vectors
with words as they are, w2v's with its own tokenizer from the model card) on the language's
sets in ../shared/data/multilingual/eval, each on the pairs it can answer; and, once both
tools have run a seed, both on the pairs that both can answer (a "common" line in the log:
the sets' pairs whose words are all in both vocabularies, w2v's words cut by its tokenizer,
a word it cuts into several counting as missing). `--tools w2v,python,w2v-pretok` adds a
third run per seed: w2v (whitespace tokenizer, the same settings) on the Python side's
tokenised copy, which tells the segmenter's share of a difference from the trainer's. --w2v-flags adds settings to w2v's runs
(e.g. "--japanese-segmenter tinysegmenter"; give such runs their own --log). The Python side needs `pip install gensim jieba razdel
fugashi unidic-lite` in --python's environment. Every run is appended to --log as one JSON
line (a run already there is not repeated), and the table is printed from the log.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tokenizer_f1 import tokenize  # noqa: E402
ML = os.path.join(HERE, "..", "..", "shared", "data", "multilingual")
EVAL = {
    "zh": {"similarity": ["zh/wordsim-240.txt", "zh/wordsim-297.txt"],
           "analogies": "zh/ca_translated.txt"},
    "ru": {"similarity": ["ru/hj-test.csv", "ru/hj-train.csv"]},
    "ja": {"similarity": ["ja/score_noun.csv", "ja/score_adj.csv"]},
}
W2V_TOKENIZER = ["--tokenizer", "unicode"]
SETTINGS = ["--dim", "100", "--window", "5", "--negative", "5", "--min-count", "5",
            "--sample", "1e-4", "--epochs", "5", "--threads", "2"]

TOKENIZE = r'''
import gzip, re, sys
lang, src, dst = sys.argv[1:4]
word = re.compile(r"\w")
if lang == "zh":
    import jieba
    jieba.initialize()
    cut = jieba.lcut
elif lang == "ru":
    import razdel
    cut = lambda s: [t.text for t in razdel.tokenize(s)]
else:
    import fugashi
    tagger = fugashi.Tagger()
    cut = lambda s: [w.surface for w in tagger(s)]
with gzip.open(src, "rt", encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
    for line in f:
        out.write(" ".join(t.lower() for t in cut(line.strip()) if word.search(t)) + "\n")
'''

TRAIN = r'''
import sys
from gensim.models import Word2Vec
src, dst, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = Word2Vec(corpus_file=src, sg=1, vector_size=100, window=5, negative=5, min_count=5,
             sample=1e-4, epochs=5, workers=2, seed=seed, alpha=0.025)
m.wv.save_word2vec_format(dst, binary=True)
'''


def score(w2v, vectors, lang, extra=()):
    e = EVAL[lang]
    cmd = [w2v, "eval", vectors, "--json", *extra]
    if "analogies" in e:
        cmd += ["--analogies", os.path.join(ML, "eval", e["analogies"])]
    for s in e["similarity"]:
        cmd += ["--similarity", os.path.join(ML, "eval", s)]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    got = {}
    if "analogy" in out:
        a = out["analogy"]
        got["analogy"] = a["accuracy"]
        got["analogy answered"] = a["answered"]
    for path, s in zip(e["similarity"], out["similarity"]):
        name = os.path.splitext(os.path.basename(path))[0]
        got[name] = s["spearman"]
        got[name + " pairs"] = s["pairs"]
    return got


def vocab(path):
    """The words of a word2vec binary file."""
    words = set()
    with open(path, "rb") as f:
        n, dim = map(int, f.readline().split())
        for _ in range(n):
            w = bytearray()
            while (c := f.read(1)) != b" ":
                w += c
            words.add(w.decode("utf-8", "replace").lstrip("\n"))
            f.seek(4 * dim, 1)
    return words


def pairs_of(path):
    """(word1, word2, score) of a similarity file: tab or comma separated, a header line
    skipped when its score column is not a number."""
    out = []
    for i, line in enumerate(open(path, encoding="utf-8-sig")):
        fields = [x.strip() for x in line.rstrip("\n").split("\t" if "\t" in line else ",")]
        if len(fields) < 3 or not fields[0] or line.startswith("#"):
            continue
        try:
            out.append((fields[0], fields[1], float(fields[2])))
        except ValueError:
            if i > 0:
                raise
    return out


def common(a, lang, seed, vecs, work):
    """Both tools' scores on the pairs that both can answer (see the module's docstring)."""
    have = {t: vocab(v) for t, v in vecs.items()}
    rec = {"lang": lang, "tool": "common", "seed": seed, "date": time.strftime("%Y-%m-%d %H:%M")}
    for rel in EVAL[lang]["similarity"]:
        ps = pairs_of(os.path.join(ML, "eval", rel))
        words = sorted({w for p in ps for w in p[:2]})
        as_w2v = dict(zip(words, tokenize(a.w2v, words, [*W2V_TOKENIZER, *a.w2v_flags.split()])))
        ok = lambda w: (len(as_w2v[w]) == 1 and as_w2v[w][0] in have["w2v"]
                        and w in have["python"])
        both = [p for p in ps if ok(p[0]) and ok(p[1])]
        path = os.path.join(work, "common.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(f"{w1}\t{w2}\t{sc}\n" for w1, w2, sc in both)
        name = os.path.splitext(os.path.basename(rel))[0]
        rec[name + " pairs"] = len(both)
        for tool, v in vecs.items():
            out = json.loads(subprocess.run([a.w2v, "eval", v, "--json", "--similarity", path],
                                            check=True, capture_output=True, text=True).stdout)
            rec[f"{name} {tool}"] = out["similarity"][0]["spearman"]
    return rec


def timed(cmd, **kw):
    t = time.time()
    subprocess.run(cmd, check=True, **kw)
    return time.time() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--langs", default="zh,ru,ja")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--w2v", default=os.path.join(HERE, "..", "target", "release", "w2v"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "w2v-pipeline"))
    ap.add_argument("--log", default=os.path.join(HERE, "results", "pipeline.jsonl"))
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--w2v-flags", default="", help="more settings for w2v's runs")
    ap.add_argument("--tools", default="w2v,python",
                    help="w2v, python and w2v-pretok (w2v on the Python side's tokens)")
    a = ap.parse_args()
    langs, seeds = a.langs.split(","), [int(s) for s in a.seeds.split(",")]
    runs = [json.loads(l) for l in open(a.log)] if os.path.exists(a.log) else []
    done = {(r["lang"], r["tool"], r["seed"]) for r in runs}

    def keep(rec):
        runs.append(rec)
        with open(a.log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        print("#", json.dumps(rec), file=sys.stderr, flush=True)
    if not a.report:
        os.makedirs(a.cache, exist_ok=True)
        work = tempfile.mkdtemp(prefix="w2v-pipeline-")
        for lang in langs:
            corpus = os.path.join(ML, "corpus", f"{lang}_text.txt.gz")
            tokens = os.path.join(a.cache, f"{lang}.tok.txt")
            tok_time_file = tokens + ".seconds"
            for seed in seeds:
                for tool in a.tools.split(","):
                    if (lang, tool, seed) in done:
                        continue
                    # One file per tool and seed: a model card left beside another tool's
                    # vectors would make `w2v eval` cut that tool's words with w2v's tokenizer.
                    vec = os.path.join(work, f"{tool}-{seed}.bin")
                    if tool == "w2v":
                        wall = timed([a.w2v, "train", corpus, "-o", vec, *W2V_TOKENIZER,
                                      *a.w2v_flags.split(), "--seed", str(seed), "--quiet",
                                      *SETTINGS])
                        parts = {}
                    else:
                        if not os.path.exists(tok_time_file):
                            t = timed([a.python, "-c", TOKENIZE, lang, corpus, tokens])
                            with open(tok_time_file, "w") as f:
                                f.write(str(t))
                        tok = float(open(tok_time_file).read())
                        train = timed([a.python, "-c", TRAIN, tokens, vec, str(seed)]
                                      if tool == "python" else
                                      [a.w2v, "train", tokens, "-o", vec, *a.w2v_flags.split(),
                                       "--seed", str(seed), "--quiet", *SETTINGS])
                        wall, parts = tok + train, {"tokenize_s": round(tok, 1),
                                                    "train_s": round(train, 1)}
                    rec = {"lang": lang, "tool": tool, "seed": seed, "wall_s": round(wall, 1),
                           **parts, "date": time.strftime("%Y-%m-%d %H:%M"),
                           **score(a.w2v, vec, lang)}
                    keep(rec)
                vecs = {t: os.path.join(work, f"{t}-{seed}.bin") for t in ("w2v", "python")}
                if (lang, "common", seed) not in done and all(map(os.path.exists, vecs.values())):
                    keep(common(a, lang, seed, vecs, work))
    report(runs, langs)


def report(runs, langs):
    for lang in langs:
        rs = [r for r in runs if r["lang"] == lang and r["tool"] != "common"]
        cs = [r for r in runs if r["lang"] == lang and r["tool"] == "common"]
        if not rs:
            continue
        keys = [k for k in rs[0] if k not in ("lang", "tool", "seed", "date", "tokenize_s",
                                              "train_s") and not k.endswith(("pairs", "answered"))]
        print(f"\n{lang} | " + " | ".join(keys) + " | seeds")
        by = {}
        for r in rs:
            by.setdefault(r["tool"], []).append(r)
        for tool, group in by.items():
            cells = []
            for k in keys:
                vals = sorted(r[k] for r in group if r.get(k) is not None)
                if not vals:
                    cells.append("-")
                elif k == "wall_s":
                    cells.append(f"{sum(vals) / len(vals):.0f} s (mean)")
                else:
                    cells.append(f"{sum(vals) / len(vals):.4f}")
            print(f"{tool} | " + " | ".join(cells) + f" | {len(group)}")
        if "w2v" in by and "python" in by:
            mean = {t: sum(r["wall_s"] for r in g) / len(g) for t, g in by.items()}
            print(f"speed-up of w2v, whole run (ratio of means): "
                  f"{mean['python'] / mean['w2v']:.1f}x")
        for k in [k for k in (cs[0] if cs else {}) if k.endswith(" pairs")]:
            name = k[: -len(" pairs")]
            m = {t: sum(r[f"{name} {t}"] for r in cs) / len(cs) for t in ("w2v", "python")}
            print(f"common pairs, {name} ({cs[0][k]} pairs, {len(cs)} seeds): "
                  f"w2v {m['w2v']:.4f}, python {m['python']:.4f}")


if __name__ == "__main__":
    main()
