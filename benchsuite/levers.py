#!/usr/bin/env python3
"""Levers across corpus sizes: trains each configuration with each seed on prefixes of the shared
corpus and prints, per size, the mean of every score and its change against the first
configuration, so that a lever's gain can be followed as the corpus grows.

usage: levers.py [--sizes 25,50,100] [--seeds 1,2,3] [--log FILE] [--report]
                 [--run 'LABEL=W2V TRAIN FLAGS' ...] [--ctool 'LABEL=C TOOL FLAGS' ...]
                 [--peer 'LABEL=COMMAND' ...]

Sizes are megabytes of ../shared/data/enwiki_text8style_100M.gz (decompressed), each prefix cut
at a word boundary and cached in --prefix-dir; 100 is the whole corpus (16.94M tokens; 25 and
50 hold 4.24M and 8.47M). Every w2v run gets --sample 1e-4 --threads 2 unless its flags say
otherwise; C tool runs (`word2vec` from `pip install word2vec`, found on PATH or by --c-tool)
get word2vec.c's flags as given, plus -train, -output, -binary 1 and, unless given,
-sample 1e-4 -threads 2 -min-count 5. The stock C tool has no seed (its "seeds" are repeated
runs, one draw of its randomness); the build of benchsuite/ctool_seeded.sh (--c-tool) takes
each run's seed from W2V_C_SEED, which every C tool run gets.
A --peer COMMAND is any other tool's training command with {corpus}, {out} (word2vec text or
binary vectors to write) and {seed} in it, e.g. fastText through benchsuite/peer_fasttext.py:
  --peer 'fastText cbow=FASTTEXT_SEED={seed} python3 benchsuite/peer_fasttext.py {corpus} {out} cbow 0.05 2'
Words of a configuration's flags that look like NAME=VALUE (upper-case NAME) set environment
variables for its runs instead. Runs are interleaved (size, then seed, then configuration) and each is appended to --log as
one JSON line; a run already in the log is not repeated, so an interrupted study resumes.
Scores: questions-words.txt (3CosAdd, 30,000 most frequent words; all, semantic and syntactic
sections) and Spearman on every other file in ../shared/data/eval, from `w2v eval --json`."""
import argparse, json, math, os, shlex, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(ROOT, "..", "shared")
CORPUS = os.path.join(SHARED, "data", "enwiki_text8style_100M.gz")
KEYS = ["analogy", "semantic", "syntactic", "simlex999", "wordsim353"]


def prefix(size_mb, prefix_dir):
    """The first `size_mb` MB of the corpus, cut after the last whole word."""
    os.makedirs(prefix_dir, exist_ok=True)
    path = os.path.join(prefix_dir, f"enwiki_{size_mb}M.txt")
    if os.path.exists(path):
        return path
    import gzip
    with gzip.open(CORPUS, "rb") as f:
        # 100: the whole corpus, decompressed (word2vec.c reads no gzip).
        data = f.read(size_mb * 1_000_000 if size_mb != 100 else -1)
    if len(data) == size_mb * 1_000_000 and size_mb != 100:
        data = data[: data.rfind(b" ")]
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return path


def evaluate(w2v, vectors, eval_dir):
    analogies = os.path.join(eval_dir, "questions-words.txt")
    pairs = sorted(os.path.join(eval_dir, f) for f in os.listdir(eval_dir)
                   if f != "questions-words.txt" and not f.startswith("."))
    cmd = [w2v, "eval", vectors, "--json", "--analogies", analogies]
    for p in pairs:
        cmd += ["--similarity", p]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    a = out["analogy"]
    got = {"analogy": a["accuracy"], "semantic": a["semantic"], "syntactic": a["syntactic"]}
    for p, s in zip(pairs, out["similarity"]):
        got[os.path.splitext(os.path.basename(p))[0]] = s["spearman"]
    return got


def w2v_cmd(w2v, corpus, out, seed, flags):
    flags = shlex.split(flags)
    if "--sample" not in flags:
        flags += ["--sample", "1e-4"]
    if "--threads" not in flags:
        flags += ["--threads", "2"]
    return [w2v, "train", corpus, "-o", out, "--seed", str(seed), "--quiet"] + flags


def ctool_cmd(ctool, corpus, out, flags):
    flags = shlex.split(flags)
    for k, v in (("-sample", "1e-4"), ("-threads", "2"), ("-min-count", "5")):
        if k not in flags:
            flags += [k, v]
    return [ctool, "-train", corpus, "-output", out, "-binary", "1"] + flags


def load_log(path):
    runs = []
    if os.path.exists(path):
        with open(path) as f:
            runs = [json.loads(line) for line in f if line.strip()]
    return runs


def report(runs, labels, sizes):
    mean = lambda xs: sum(xs) / len(xs)
    for size in sizes:
        print(f"\n{size} MB | " + " | ".join(KEYS) + " | words/s | seeds")
        base = None
        for label in labels:
            rs = [r for r in runs if r["label"] == label and r["size"] == size]
            if not rs:
                continue
            m = {k: mean([r[k] for r in rs]) for k in KEYS}
            se = {k: (math.sqrt(sum((r[k] - m[k]) ** 2 for r in rs) / (len(rs) - 1) / len(rs))
                      if len(rs) > 1 else float("nan")) for k in KEYS}
            if base is None:
                base = m
                cells = [f"{m[k]:.4f} ±{se[k]:.4f}" for k in KEYS]
            else:
                cells = [f"{m[k]:.4f} ({100 * (m[k] - base[k]):+.2f})" for k in KEYS]
            wps = [r["words/s"] for r in rs if r.get("words/s")]
            speed = f"{sorted(wps)[len(wps) // 2] / 1e3:.0f}k" if wps else "-"
            print(f"{label} | " + " | ".join(cells) + f" | {speed} | {len(rs)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="25,50,100")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--run", action="append", default=[], help="LABEL=w2v train flags")
    ap.add_argument("--ctool", action="append", default=[], help="LABEL=word2vec.c flags")
    ap.add_argument("--peer", action="append", default=[],
                    help="LABEL=command with {corpus}, {out} and {seed}")
    ap.add_argument("--w2v", default=os.path.join(ROOT, "target", "release", "w2v"))
    ap.add_argument("--c-tool", default=shutil.which("word2vec") or "word2vec")
    ap.add_argument("--eval-dir", default=os.path.join(SHARED, "data", "eval"))
    ap.add_argument("--prefix-dir", default=os.path.join(tempfile.gettempdir(), "w2v-prefixes"))
    ap.add_argument("--log", default=os.path.join(HERE, "levers.jsonl"))
    ap.add_argument("--report", action="store_true", help="only print the table from --log")
    ap.add_argument("--keep-vectors", metavar="DIR",
                    help="keep each run's vectors as DIR/LABEL-SIZE-SEED.bin (for per-pair studies)")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    seeds = [int(s) for s in a.seeds.split(",")]
    configs = [("w2v",) + tuple(r.split("=", 1)) for r in a.run] + \
              [("ctool",) + tuple(r.split("=", 1)) for r in a.ctool] + \
              [("peer",) + tuple(r.split("=", 1)) for r in a.peer]
    labels = [c[1] for c in configs]
    runs = load_log(a.log)
    if not a.report:
        out_dir = tempfile.mkdtemp(prefix="w2v-levers-")
        for size in sizes:
            corpus = CORPUS if size == 100 else prefix(size, a.prefix_dir)
            for seed in seeds:
                for tool, label, flags in configs:
                    if any(r["label"] == label and r["size"] == size and r["seed"] == seed
                           for r in runs):
                        continue
                    vec = os.path.join(out_dir, "v.bin")
                    if tool == "w2v":
                        cmd = w2v_cmd(a.w2v, corpus, vec, seed, flags)
                    elif tool == "ctool":
                        cmd = ctool_cmd(a.c_tool, prefix(size, a.prefix_dir), vec, flags)
                    else:
                        vec = os.path.join(out_dir, "v.txt")
                        flags = flags.format(corpus=prefix(size, a.prefix_dir), out=vec, seed=seed)
                        cmd = shlex.split(flags)
                    # Leading NAME=VALUE words of the flags set environment variables.
                    env = dict(os.environ)
                    if tool == "ctool":
                        # Read by benchsuite/ctool_seeded.sh's build; the stock tool ignores it.
                        env["W2V_C_SEED"] = str(seed)
                    words = shlex.split(flags)
                    for w in words:
                        if "=" in w and w.split("=", 1)[0].isupper():
                            env[w.split("=", 1)[0]] = w.split("=", 1)[1]
                    cmd = [c for c in cmd if not ("=" in c and c.split("=", 1)[0].isupper())]
                    print("#", " ".join(cmd), file=sys.stderr, flush=True)
                    t0 = time.time()
                    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
                    wall = time.time() - t0
                    got = evaluate(a.w2v, vec, a.eval_dir)
                    got["words/s"] = None
                    if tool == "w2v":
                        with open(vec + ".json") as f:
                            got["words/s"] = json.load(f)["words_per_sec"]
                    rec = {"label": label, "tool": tool, "flags": flags, "size": size,
                           "seed": seed, "wall_s": round(wall, 1),
                           "date": time.strftime("%Y-%m-%d %H:%M"), **got}
                    if a.keep_vectors:
                        os.makedirs(a.keep_vectors, exist_ok=True)
                        name = "".join(c if c.isalnum() else "_" for c in label)
                        shutil.copy(vec, os.path.join(a.keep_vectors, f"{name}-{size}-{seed}.bin"))
                    runs.append(rec)
                    with open(a.log, "a") as f:
                        f.write(json.dumps(rec) + "\n")
                    print("#", json.dumps(rec), file=sys.stderr, flush=True)
        shutil.rmtree(out_dir)
    report(runs, labels or list(dict.fromkeys(r["label"] for r in runs)), sizes)


if __name__ == "__main__":
    main()
