#!/usr/bin/env python3
"""Quality over seeds: trains one configuration of w2v with several seeds and prints, for every
evaluation set, the mean, the standard error and each seed's score, with the best peer's
figure beside it.

usage: seeds.py [--seeds 1,2,3] [--corpus FILE] [--w2v BINARY] [--eval-dir DIR]
                [--similarity FILE ...] [--keep DIR] [-- TRAIN FLAGS ...]

Defaults: seeds 1,2,3; corpus ../shared/data/enwiki_text8style_100M.gz; the release binary
(target/release/w2v); the sets in ../shared/data/eval (questions-words.txt: analogy accuracy,
30,000 most frequent words, 3CosAdd; every other file there: word-pair Spearman). The train
flags default to the reference configuration's (--sample 1e-4 --threads 2) and are added to
every run, e.g. `seeds.py -- --model cbow`. Scores come from `w2v eval --json`, whose numbers
equal gensim's evaluate_word_analogies / evaluate_word_pairs (tests/query.rs checks it)."""
import argparse, json, math, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(ROOT, "..", "shared")

# The best peer on each set, from ../shared/PEERS.md (November 2026, same corpus and reference
# settings; SimLex-999 from one run): (figure, tool).
PEERS = {
    "skipgram": {"analogy": (0.393, "finalfrontier"), "wordsim353": (0.679, "finalfrontier"),
                 "simlex999": (0.320, "finalfrontier")},
    "cbow": {"analogy": (0.361, "C tool"), "wordsim353": (0.678, "fastText"),
             "simlex999": (0.309, "fastText")},
}


def model_of(flags):
    for i, f in enumerate(flags):
        if f == "--model" and i + 1 < len(flags):
            return "cbow" if flags[i + 1] == "cbow" else "skipgram"
        if f.startswith("--model="):
            return "cbow" if f.split("=", 1)[1] == "cbow" else "skipgram"
    return "skipgram"


def scores(w2v, vectors, analogies, pairs):
    cmd = [w2v, "eval", vectors, "--json", "--analogies", analogies]
    for p in pairs:
        cmd += ["--similarity", p]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    got = {"analogy": out["analogy"]["accuracy"]}
    for p, s in zip(pairs, out["similarity"]):
        got[os.path.splitext(os.path.basename(p))[0]] = s["spearman"]
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--corpus", default=os.path.join(SHARED, "data", "enwiki_text8style_100M.gz"))
    ap.add_argument("--w2v", default=os.path.join(ROOT, "target", "release", "w2v"))
    ap.add_argument("--eval-dir", default=os.path.join(SHARED, "data", "eval"))
    ap.add_argument("--similarity", action="append", default=[], help="another word-pair set")
    ap.add_argument("--keep", help="keep the vectors in this directory")
    ap.add_argument("flags", nargs=argparse.REMAINDER, help="-- then w2v train flags")
    a = ap.parse_args()
    flags = [f for f in a.flags if f != "--"]
    if "--sample" not in flags:
        flags += ["--sample", "1e-4"]
    if "--threads" not in flags:
        flags += ["--threads", "2"]
    analogies = os.path.join(a.eval_dir, "questions-words.txt")
    pairs = sorted(os.path.join(a.eval_dir, f) for f in os.listdir(a.eval_dir)
                   if f != "questions-words.txt" and not f.startswith(".")) + a.similarity
    seeds = [int(s) for s in a.seeds.split(",")]
    out_dir = a.keep or tempfile.mkdtemp(prefix="w2v-seeds-")
    os.makedirs(out_dir, exist_ok=True)
    runs = []
    for seed in seeds:
        vec = os.path.join(out_dir, f"seed{seed}.bin")
        cmd = [a.w2v, "train", a.corpus, "-o", vec, "--seed", str(seed), "--quiet"] + flags
        print("#", " ".join(cmd), file=sys.stderr, flush=True)
        subprocess.run(cmd, check=True)
        with open(vec + ".json") as f:
            card = json.load(f)
        got = scores(a.w2v, vec, analogies, pairs)
        got["words/s"] = card["words_per_sec"]
        runs.append(got)
        print("# seed", seed, json.dumps(got), file=sys.stderr, flush=True)
        if not a.keep:
            for p in (vec, vec + ".json"):
                os.remove(p)
    peers = PEERS[model_of(flags)]
    print(f"w2v train {' '.join(flags)}; seeds {a.seeds}; corpus {os.path.basename(a.corpus)}")
    print(f"| set | mean | std. error | per seed | best peer |")
    print(f"|---|---|---|---|---|")
    for key in runs[0]:
        xs = [r[key] for r in runs]
        mean = sum(xs) / len(xs)
        se = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1) / len(xs)) if len(xs) > 1 else float("nan")
        fmt = (lambda x: f"{x / 1e3:.0f}k") if key == "words/s" else (lambda x: f"{x:.4f}")
        peer = peers.get(key)
        peer_txt = f"{peer[0]:.3f} ({peer[1]})" if peer else ""
        print(f"| {key} | {fmt(mean)} | {fmt(se)} | {', '.join(fmt(x) for x in xs)} | {peer_txt} |")
    if not a.keep:
        os.rmdir(out_dir)


if __name__ == "__main__":
    main()
