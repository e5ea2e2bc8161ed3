#!/usr/bin/env python3
"""Subword vectors: w2v --subwords against fastText, alternating runs, same settings.

Standard configuration (dim 100, window 5, negative 5, min-count 5, sample 1e-4, 5 epochs,
lr 0.025 skip-gram / 0.05 CBOW, 2 threads) plus character n-grams of 3 to 6 characters in
2,000,000 buckets, on the 100 MB English corpus. Run r uses seed r for w2v (fastText's PyPI
module takes no seed; its runs differ through the threads). Prints one
markdown table: medians of wall time and training time, training words/s (in-vocabulary tokens
× epochs / training seconds, the same count for both), the ratio to fastText, the peak RSS, and
the mean over the runs of the analogy accuracy (3CosAdd, 30,000 most frequent words),
WordSim-353 and SimLex-999 (Spearman) of each tool's vocabulary vectors (`w2v eval`, gensim's
numbers). Every run is appended to benchsuite/results/subwords.jsonl.

With --russian: the Russian corpus of ../shared/data/multilingual (raw text, --tokenizer
unicode), w2v skip-gram at the same settings with and without --subwords, per seed; scored on
RUSSE hj-test and hj-train (Spearman): the subword model with every pair (unknown words from
their n-grams) and with its vocabulary's vectors only (pairs with an unknown word skipped), the
word model with its vocabulary, and with every pair, those with an unknown word scored 0
(`w2v eval --dummy4unknown`, gensim's dummy4unknown). Appended to benchsuite/results/subwords-ru.jsonl.

Setup: a Python with `fasttext` (e.g. python3 -m venv v && v/bin/pip install fasttext-wheel 'numpy<2')
Run:   v/bin/python benchsuite/subwords.py --runs 3 --corpus /tmp/enwiki_100M.txt
Inputs: --corpus (plain text; default ../shared/data/enwiki_text8style_100M.gz, decompressed
into --out once), --eval-dir (default ../shared/data/eval).
"""
import argparse, datetime, gzip, json, os, shutil, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from compare import run_timed  # noqa: E402

LR = {"sg": 0.025, "cbow": 0.05}
SETS = ("wordsim353", "simlex999")


def w2v_run(a, model, corpus, stem, seed):
    cmd = [a.w2v, "train", corpus, "-o", stem, "--subwords", "--minn", "3", "--maxn", "6",
           "--buckets", str(a.buckets), "--model", "skipgram" if model == "sg" else "cbow",
           "--dim", "100", "--window", "5", "--negative", "5", "--min-count", "5", "--sample", "1e-4",
           "--epochs", "5", "--lr", str(LR[model]), "--threads", str(a.threads), "--seed", str(seed)]
    wall, rss, _, text = run_timed(cmd)
    line = [l for l in text.splitlines() if l.startswith("trained ")][-1]
    train_s = float(line.split(") in ")[1].split(" s")[0])
    tokens = int(line.split()[1])
    return wall, train_s, rss, stem + ".vec", tokens


def fasttext_run(a, model, corpus, stem, seed):
    out = stem + ".vec"
    cmd = [a.python, os.path.join(HERE, "peer_fasttext.py"), corpus, out, model, str(LR[model]),
           str(a.threads), "3", "6", str(a.buckets)]
    wall, rss, first, text = run_timed(cmd, stream="stderr", marker="Progress")
    info = json.loads([l for l in text.splitlines() if l.startswith("{")][-1])
    return wall, wall - first - info["save_seconds"], rss, out, None


def scores(a, vectors):
    cmd = [a.w2v, "eval", vectors, "--json", "--analogies", os.path.join(a.eval_dir, "questions-words.txt")]
    for s in SETS:
        cmd += ["--similarity", os.path.join(a.eval_dir, s + ".txt" if s == "simlex999" else s + ".tsv")]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    got = {"analogy": out["analogy"]["accuracy"]}
    for s, r in zip(SETS, out["similarity"]):
        got[s] = r["spearman"]
    return got


def russian(a):
    ml = os.path.join(ROOT, "..", "shared", "data", "multilingual")
    corpus = os.path.join(ml, "corpus", "ru_text.txt.gz")
    sets = [os.path.join(ml, "eval", "ru", f) for f in ("hj-test.csv", "hj-train.csv")]
    log = os.path.join(HERE, "results", "subwords-ru.jsonl")

    def ev(vectors, dummy=False):
        cmd = [a.w2v, "eval", vectors, "--json", "--tokenizer", "unicode"] + ["--dummy4unknown"] * dummy
        for p in sets:
            cmd += ["--similarity", p]
        out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        got = {}
        for p, r in zip(sets, out["similarity"]):
            name = os.path.splitext(os.path.basename(p))[0]
            got[name], got[name + " pairs"] = round(r["spearman"], 4), r["pairs"]
        return got

    for r in range(a.runs):
        seed = a.first_seed + r
        for sub in (True, False):
            stem = os.path.join(a.out, "ru_sub" if sub else "ru_words")
            cmd = [a.w2v, "train", corpus, "-o", stem if sub else stem + ".bin", "--tokenizer", "unicode",
                   "--model", "skipgram", "--dim", "100", "--window", "5", "--negative", "5",
                   "--min-count", "5", "--sample", "1e-4", "--epochs", "5", "--threads", str(a.threads),
                   "--seed", str(seed), "--quiet"]
            if sub:
                cmd += ["--subwords", "--buckets", str(a.buckets)]
            wall, rss, _, _ = run_timed(cmd)
            rec = {"date": datetime.date.today().isoformat(), "seed": seed, "subwords": sub,
                   "wall": round(wall, 1), "rss_mib": round(rss)}
            if sub:
                rec["with unknown words"] = ev(stem + ".bin")
                rec["vocabulary only"] = ev(stem + ".vec")
            else:
                rec["vocabulary only"] = ev(stem + ".bin")
                rec["unknown pairs as 0"] = ev(stem + ".bin", dummy=True)
            with open(log, "a") as f:
                f.write(json.dumps(rec) + "\n")
            print(json.dumps(rec, ensure_ascii=False), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "data", "enwiki_text8style_100M.gz"))
    ap.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "data", "eval"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--buckets", type=int, default=2_000_000)
    ap.add_argument("--models", default="sg,cbow")
    ap.add_argument("--tools", default="w2v,fasttext")
    ap.add_argument("--w2v", default=os.path.join(ROOT, "target", "release", "w2v"))
    ap.add_argument("--python", default=sys.executable, help="a Python with the fasttext module")
    ap.add_argument("--out", default=os.path.join(HERE, "out-subwords"))
    ap.add_argument("--log", default=os.path.join(HERE, "results", "subwords.jsonl"))
    ap.add_argument("--russian", action="store_true", help="the Russian comparison (see above)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.russian:
        return russian(a)
    corpus = a.corpus
    if corpus.endswith(".gz"):
        corpus = os.path.join(a.out, "corpus.txt")
        if not os.path.exists(corpus):
            with gzip.open(a.corpus, "rb") as f, open(corpus + ".part", "wb") as g:
                shutil.copyfileobj(f, g, 1 << 24)
            os.rename(corpus + ".part", corpus)
    runners = {"w2v": w2v_run, "fasttext": fasttext_run}
    results, tokens = {}, None
    for r in range(a.runs):
        seed = a.first_seed + r
        for model in a.models.split(","):
            for tool in a.tools.split(","):
                stem = os.path.join(a.out, f"{tool}_{model}")
                wall, train_s, rss, vec, n = runners[tool](a, model, corpus, stem, seed)
                tokens = n or tokens
                s = scores(a, vec)
                rec = {"date": datetime.date.today().isoformat(), "tool": tool, "model": model, "seed": seed,
                       "buckets": a.buckets, "threads": a.threads, "corpus": a.corpus, "wall": round(wall, 2),
                       "train": round(train_s, 2), "rss_mib": round(rss), **s}
                with open(a.log, "a") as f:
                    f.write(json.dumps(rec) + "\n")
                results.setdefault((tool, model), []).append(rec)
                print(json.dumps(rec), flush=True)
    print()
    print(f"Corpus: {a.corpus}; {a.runs} runs (seeds {a.first_seed}..{a.first_seed + a.runs - 1}), "
          f"{a.threads} threads, minn 3, maxn 6, {a.buckets:,} buckets; times medians, scores means.")
    print()
    print("| tool | model | wall s | train s | training words/s | vs fastText | peak RSS MiB | analogy | WS-353 | SimLex-999 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model in a.models.split(","):
        ft = results.get(("fasttext", model))
        for tool in a.tools.split(","):
            rs = results[(tool, model)]
            train = statistics.median(x["train"] for x in rs)
            wps = 5 * tokens / train if tokens else float("nan")
            ratio = "-"
            if ft and tool != "fasttext":
                ratio = f"{statistics.median(x['train'] for x in ft) / train:.2f}x"
            mean = lambda k: statistics.mean(x[k] for x in rs)
            print(f"| {tool} | {model.upper() if model == 'sg' else 'CBOW'} | {statistics.median(x['wall'] for x in rs):.0f} | "
                  f"{train:.0f} | {wps / 1e3:.0f}k | {ratio} | {max(x['rss_mib'] for x in rs)} | "
                  f"{mean('analogy'):.4f} | {mean('wordsim353'):.4f} | {mean('simlex999'):.4f} |")


if __name__ == "__main__":
    main()
