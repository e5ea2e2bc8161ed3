#!/usr/bin/env python3
"""The measured cost of each loss against the vocabulary size.

Trains skip-gram (1 thread, dim 100, window 5, sample 1e-4, min-count 1) on a corpus with
`--max-vocab V` for V from 1,000 to 70,000 and each loss: negative sampling with k = 5 and
k = 15, hierarchical softmax, and the full softmax. Time per example = training seconds per
prediction (one (context, centre) pair), from complete runs: the run's training seconds over
its number of predictions. The full softmax, O(V) per prediction, trains on a short slice
of the corpus followed by the vocabulary's words on one-word lines (no predictions, but V words
in the vocabulary), so that it finishes. Prints a table, fits the slope of log(time) against
log(V) per loss, and writes a log-log plot as SVG (no plotting library).

Usage: benchsuite/loss_cost.py [--corpus FILE] [--out DIR] [--svg FILE]
  --corpus: default /tmp/enwiki20M.txt, the first 20 MB of the shared 100 MB corpus
            (`zcat ../shared/data/enwiki_text8style_100M.gz | head -c 20000000`).
"""
import argparse
import math
import os
import re
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SIZES = [1000, 3000, 10000, 30000, 70000]
LOSSES = [("ns k=5", ["--loss", "ns", "--negative", "5"]),
          ("ns k=15", ["--loss", "ns", "--negative", "15"]),
          ("hs", ["--loss", "hs", "--negative", "0"]),
          ("softmax", ["--loss", "softmax", "--negative", "0"])]
COLOURS = {"ns k=5": "#1f77b4", "ns k=15": "#2ca02c", "hs": "#d62728", "softmax": "#9467bd"}


def run(args, corpus, v, extra):
    """Training seconds per prediction of one complete 1-epoch run."""
    out = os.path.join(args.out, "cost.bin")
    cmd = [args.w2v, "train", corpus, "-o", out, "--threads", "1", "--epochs", "1",
           "--min-count", "1", "--max-vocab", str(v), "--sample", "1e-4", "--seed", "1"] + extra
    p = subprocess.run(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    done = re.search(r"over (\d+) predictions", p.stderr)
    trained = re.search(r"\) in ([0-9.]+) s: ", p.stderr)
    vocab = re.search(r"vocabulary: (\d+) words", p.stderr)
    if p.returncode != 0 or not (done and trained and vocab):
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    if int(vocab.group(1)) != v:
        raise RuntimeError(f"asked for {v} words, got {vocab.group(1)}")
    return float(trained.group(1)) / int(done.group(1))


def softmax_corpus(args, v):
    """A corpus on which the O(V) softmax finishes in seconds: about 4e7/V tokens of running
    text, then every word of the big corpus's vocabulary once on a line of its own (one-word
    lines make no predictions, but put V words in the vocabulary)."""
    path = os.path.join(args.out, f"softmax_{v}.txt")
    if not os.path.exists(path):
        with open(args.corpus) as f:
            text = f.read(60_000_000).split()
        counts = {}
        for w in text:
            counts[w] = counts.get(w, 0) + 1
        words = sorted(counts, key=lambda w: (-counts[w], w))[:max(SIZES)]
        with open(path + ".part", "w") as g:
            g.write(" ".join(text[:max(300, int(4e7 / v))]) + "\n")
            g.write("\n".join(words) + "\n")
        os.replace(path + ".part", path)
    return path


def fit(xs, ys):
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def svg(results, path):
    w, h, l, r, t, b = 720, 480, 70, 150, 40, 50
    xs = [v for v in SIZES]
    ys = [y for name in results for y in results[name].values()]
    x0, x1 = math.log10(min(xs)) - 0.05, math.log10(max(xs)) + 0.05
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    px = lambda x: l + (math.log10(x) - x0) / (x1 - x0) * (w - l - r)
    py = lambda y: h - b - (math.log10(y) - y0) / (y1 - y0) * (h - t - b)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{(w - r + l) / 2}" y="22" text-anchor="middle" font-size="15">Training time per example vs vocabulary size (skip-gram, dim 100, 1 thread)</text>']
    for e in range(y0, y1 + 1):
        y = py(10 ** e)
        out.append(f'<line x1="{l}" y1="{y:.1f}" x2="{w - r}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{l - 6}" y="{y + 4:.1f}" text-anchor="end">1e{e} s</text>')
    for v in SIZES:
        x = px(v)
        out.append(f'<line x1="{x:.1f}" y1="{t}" x2="{x:.1f}" y2="{h - b}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{h - b + 18}" text-anchor="middle">{v:,}</text>')
    out.append(f'<text x="{(w - r + l) / 2}" y="{h - 10}" text-anchor="middle">vocabulary size V (--max-vocab), log scale</text>')
    out.append(f'<line x1="{l}" y1="{h - b}" x2="{w - r}" y2="{h - b}" stroke="black"/>')
    out.append(f'<line x1="{l}" y1="{t}" x2="{l}" y2="{h - b}" stroke="black"/>')
    for i, (name, pts) in enumerate(results.items()):
        c = COLOURS[name]
        coords = " ".join(f"{px(v):.1f},{py(s):.1f}" for v, s in sorted(pts.items()))
        out.append(f'<polyline points="{coords}" fill="none" stroke="{c}" stroke-width="2"/>')
        for v, s in pts.items():
            out.append(f'<circle cx="{px(v):.1f}" cy="{py(s):.1f}" r="3.5" fill="{c}"/>')
        slope = fit(list(pts), list(pts.values()))
        ly = t + 20 + 22 * i
        out.append(f'<line x1="{w - r + 12}" y1="{ly - 4}" x2="{w - r + 32}" y2="{ly - 4}" stroke="{c}" stroke-width="2"/>')
        out.append(f'<text x="{w - r + 38}" y="{ly}">{name} (slope {slope:.2f})</text>')
    out.append("</svg>")
    with open(path + ".part", "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(path + ".part", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/tmp/enwiki20M.txt")
    ap.add_argument("--w2v", default=os.path.join(ROOT, "target", "release", "w2v"))
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--svg", default=os.path.join(ROOT, "docs", "loss_cost.svg"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = {name: {} for name, _ in LOSSES}
    for v in SIZES:
        for name, extra in LOSSES:
            t0 = time.time()
            corpus = softmax_corpus(args, v) if name == "softmax" else args.corpus
            per_example = run(args, corpus, v, extra)
            results[name][v] = per_example
            print(f"V={v:>6} {name:<8} {per_example * 1e6:10.3f} us/example ({time.time() - t0:.0f} s)",
                  flush=True)
    print(f"\nCorpus: {args.corpus} (softmax: a short slice of it plus the vocabulary, see softmax_corpus); "
          "skip-gram, dim 100, window 5, sample 1e-4, 1 thread, min-count 1, --max-vocab V, 1 epoch.")
    print("Time per example (one context-centre prediction), microseconds:\n")
    print("| V | " + " | ".join(n for n, _ in LOSSES) + " |")
    print("|---|" + "---|" * len(LOSSES))
    for v in SIZES:
        print(f"| {v:,} | " + " | ".join(f"{results[n][v] * 1e6:.3f}" for n, _ in LOSSES) + " |")
    print("| slope of log t / log V | " + " | ".join(f"{fit(SIZES, [results[n][v] for v in SIZES]):.2f}" for n, _ in LOSSES) + " |")
    svg(results, args.svg)
    print(f"\nwrote {args.svg}")


if __name__ == "__main__":
    main()
