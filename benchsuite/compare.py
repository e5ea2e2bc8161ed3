#!/usr/bin/env python3
"""Side-by-side comparison of w2v with its peers on one corpus.

Runs w2v, the original word2vec C tool (PyPI package `word2vec`), gensim (corpus_file mode) and
fastText (PyPI package `fasttext`, no subwords) alternately, with the standard configuration
(dim 100, window 5, negative 5, min-count 5, sample 1e-4, 5 epochs, lr 0.025 skip-gram /
0.05 CBOW, 2 threads), and prints one markdown table: whole-process wall time and training
words/s (medians over runs), words/s relative to the C tool, peak RSS, and the mean analogy
accuracy (questions-words, lowercased, restricted to the 30,000 most frequent words, 3CosAdd),
WordSim-353 and SimLex-999 Spearman, scored with gensim (benchsuite/score.py).

Setup (once):  python3 -m venv ../peers-venv && ../peers-venv/bin/pip install gensim fasttext word2vec
Run:           ../peers-venv/bin/python benchsuite/compare.py --runs 3
Inputs: --corpus (default ../shared/data/enwiki_text8style_100M.gz), --eval dir with
questions-words.txt, wordsim353.tsv and simlex999.txt (default ../shared/data/eval).
"""
import argparse, gzip, json, os, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

DIM, WINDOW, NEG, MIN_COUNT, SAMPLE, EPOCHS = 100, 5, 5, 5, 1e-4, 5
LR = {"sg": 0.025, "cbow": 0.05}


def run_timed(cmd, stream=None, marker=None, env=None):
    """Runs cmd; returns (wall s, peak RSS MiB, seconds until `marker` first appears in the
    chosen stream (or its first byte if marker is ''), full output)."""
    # /usr/bin/time reports the command's own peak RSS; ru_maxrss of a child forked from this
    # Python process would include the parent's pages from before exec.
    rss_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"w2v-bench-rss-{os.getpid()}")
    cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = None
    out = {"stdout": b"", "stderr": b""}
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ, "stdout")
    sel.register(p.stderr, selectors.EVENT_READ, "stderr")
    open_streams = 2
    while open_streams:
        for key, _ in sel.select():
            chunk = os.read(key.fileobj.fileno(), 65536)
            if not chunk:
                sel.unregister(key.fileobj)
                open_streams -= 1
                continue
            out[key.data] += chunk
            if first is None and stream == key.data and (marker == "" or marker.encode() in out[key.data]):
                first = time.perf_counter() - t0
    _, status, _ = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    with open(rss_file) as f:
        rss_kib = int(f.read().split()[-1])
    os.remove(rss_file)
    text = (out["stdout"] + out["stderr"]).decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{text[-2000:]}")
    return wall, rss_kib / 1024.0, first, text


def w2v_shared(args, model, corpus, out):
    return w2v(args, model, corpus, out, ["--shared-negatives", "true"])


def w2v(args, model, corpus, out, extra=()):
    cmd = [args.w2v, "train", corpus, "-o", out, "--model", "skipgram" if model == "sg" else "cbow",
           "--dim", str(DIM), "--window", str(WINDOW), "--min-count", str(MIN_COUNT),
           "--sample", str(SAMPLE), "--epochs", str(EPOCHS), "--lr", str(LR[model]), "--threads", str(args.threads)]
    cmd += ["--loss", "hs", "--negative", "0"] if args.loss == "hs" else ["--negative", str(NEG)]
    cmd += list(extra)
    wall, rss, _, text = run_timed(cmd)
    line = [l for l in text.splitlines() if l.startswith("trained ")][-1]
    train_s = float(line.split(") in ")[1].split(" s")[0])
    return wall, train_s, rss


def ctool(args, model, corpus, out):
    cmd = [args.c_tool, "-train", corpus, "-output", out, "-cbow", "0" if model == "sg" else "1",
           "-size", str(DIM), "-window", str(WINDOW), "-negative", "0" if args.loss == "hs" else str(NEG), "-hs", "1" if args.loss == "hs" else "0", "-sample", str(SAMPLE),
           "-threads", str(args.threads), "-iter", str(EPOCHS), "-min-count", str(MIN_COUNT),
           "-alpha", str(LR[model]), "-binary", "1"]
    # The training progress line ("Alpha: ...") is first flushed ~10k words into training.
    wall, rss, first, _ = run_timed(cmd, stream="stdout", marker="Alpha")
    return wall, wall - first, rss


def gensim_run(args, model, lines, out):
    cmd = [sys.executable, os.path.join(HERE, "peer_gensim.py"), lines, out, model, str(LR[model]), str(args.threads)]
    wall, rss, _, text = run_timed(cmd)
    info = json.loads(text.strip().splitlines()[-1])
    return wall, info["train_seconds"], rss


def fasttext_run(args, model, corpus, out):
    cmd = [sys.executable, os.path.join(HERE, "peer_fasttext.py"), corpus, out, model, str(LR[model]), str(args.threads)]
    wall, rss, first, text = run_timed(cmd, stream="stderr", marker="Progress")
    info = json.loads([l for l in text.splitlines() if l.startswith("{")][-1])
    return wall, wall - first - info["save_seconds"], rss


TOOLS = {
    "w2v": ("w2v", w2v, "bin"),
    "w2v-sn": ("w2v --shared-negatives", w2v_shared, "bin"),
    "c": ("C tool (word2vec)", ctool, "bin"),
    "gensim": ("gensim corpus_file", gensim_run, "bin"),
    "fasttext": ("fastText", fasttext_run, "txt"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "data", "enwiki_text8style_100M.gz"))
    ap.add_argument("--eval", default=os.path.join(ROOT, "..", "shared", "data", "eval"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tools", default="w2v,c,gensim,fasttext")
    ap.add_argument("--models", default="sg,cbow")
    ap.add_argument("--w2v", default=os.path.join(ROOT, "target", "release", "w2v"))
    ap.add_argument("--c-tool", default=shutil.which("word2vec") or os.path.join(os.path.dirname(sys.executable), "word2vec"))
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--keep-vectors", action="store_true")
    ap.add_argument("--loss", choices=["ns", "hs"], default="ns",
                    help="ns: negative sampling (5 negatives); hs: hierarchical softmax (w2v --loss hs, "
                         "C tool -hs 1 -negative 0); the other tools only with ns")
    args = ap.parse_args()
    os.environ["W2V_EVAL"] = args.eval
    import score  # noqa: E402  (needs W2V_EVAL)

    os.makedirs(args.out, exist_ok=True)
    corpus = os.path.join(args.out, "corpus.txt")
    lines = os.path.join(args.out, "corpus_lines.txt")
    if not os.path.exists(corpus):
        opener = gzip.open if args.corpus.endswith(".gz") else open
        with opener(args.corpus, "rb") as f, open(corpus + ".part", "wb") as g:
            shutil.copyfileobj(f, g, 1 << 24)
        os.rename(corpus + ".part", corpus)
    if "gensim" in args.tools and not os.path.exists(lines):
        # gensim's corpus_file mode needs lines; 1,000 words each (as in ../shared/PEERS.md).
        with open(corpus) as f:
            words = f.read().split()
        with open(lines + ".part", "w") as g:
            for i in range(0, len(words), 1000):
                g.write(" ".join(words[i:i + 1000]) + "\n")
        os.rename(lines + ".part", lines)

    results = {}
    tools = args.tools.split(",")
    for r in range(args.runs):
        for model in args.models.split(","):
            for t in tools:
                name, fn, ext = TOOLS[t]
                out = os.path.join(args.out, f"{t}_{model}.{ext}")
                src = lines if t == "gensim" else corpus
                wall, train_s, rss = fn(args, model, src, out)
                s = score.score(out)
                rec = results.setdefault((t, model), {"wall": [], "train": [], "rss": [], "analogy": [], "ws": [], "simlex": []})
                rec["wall"].append(wall); rec["train"].append(train_s); rec["rss"].append(rss)
                rec["analogy"].append(s["analogy"]); rec["ws"].append(s["ws353"]); rec["simlex"].append(s["simlex999"])
                print(f"run {r + 1} {t} {model}: wall {wall:.1f} s, train {train_s:.1f} s, "
                      f"RSS {rss:.0f} MiB, analogy {s['analogy']:.4f}, WS-353 {s['ws353']:.4f}, "
                      f"SimLex-999 {s['simlex999']:.4f}", flush=True)
                if not args.keep_vectors:
                    os.remove(out)

    # Training tokens per epoch: in-vocabulary tokens (count >= min-count), identical for all.
    from collections import Counter
    counts = Counter(open(corpus).read().split())
    train_tokens = sum(c for c in counts.values() if c >= MIN_COUNT)
    print()
    print(f"Corpus: {args.corpus} ({sum(counts.values()):,} tokens, {train_tokens:,} in vocabulary); "
          f"{args.runs} runs, {args.threads} threads; times are medians, scores means.")
    print()
    print("| tool | model | wall s | training words/s | vs C tool | vs gensim | vs fastText | peak RSS MiB | analogy | WS-353 | SimLex-999 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    table = []
    for model in args.models.split(","):
        def peer_wps(p):
            if (p, model) in results:
                return EPOCHS * train_tokens / statistics.median(results[(p, model)]["train"])
            return None
        c_wps, g_wps, f_wps = peer_wps("c"), peer_wps("gensim"), peer_wps("fasttext")
        for t in tools:
            rec = results[(t, model)]
            wps = EPOCHS * train_tokens / statistics.median(rec["train"])
            ratio = f"{wps / c_wps:.2f}x" if c_wps else "-"
            ratio_g = f"{wps / g_wps:.2f}x" if g_wps else "-"
            ratio_f = f"{wps / f_wps:.2f}x" if f_wps else "-"
            row = {"tool": t, "model": model, "wall": statistics.median(rec["wall"]), "words_per_sec": wps,
                   "ratio_c": wps / c_wps if c_wps else None, "rss": max(rec["rss"]),
                   "analogy": statistics.mean(rec["analogy"]), "ws353": statistics.mean(rec["ws"]),
                   "simlex999": statistics.mean(rec["simlex"]), "runs": rec}
            table.append(row)
            print(f"| {TOOLS[t][0]} | {model.upper() if model == 'sg' else 'CBOW'} | {row['wall']:.0f} | "
                  f"{wps / 1e3:.0f}k | {ratio} | {ratio_g} | {ratio_f} | {row['rss']:.0f} | {row['analogy']:.3f} | {row['ws353']:.3f} | {row['simlex999']:.3f} |")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(table, f, indent=1)


if __name__ == "__main__":
    main()
