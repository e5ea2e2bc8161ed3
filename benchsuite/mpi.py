#!/usr/bin/env python3
"""Training on several MPI ranks: quality against one rank, and the cost of the syncs.

Standard configuration (skip-gram, dim 100, window 5, negative 5, min-count 5, sample 1e-4,
5 epochs, lr 0.025) on the 100 MB English corpus, with the MPI build of w2v:
  1 rank x 2 threads (the plain run), 2 ranks x 1 thread, 4 ranks x 1 thread (oversubscribed on
  a 2-core machine: a correctness and quality check, not a speed test), each at the default
  --sync-every and at 4x it. Seeds 1..--seeds.
Prints one markdown table: per configuration the mean over seeds of the analogy accuracy (3CosAdd,
30,000 most frequent words), WordSim-353 and SimLex-999 (Spearman), their differences from 1 x 2,
and, from rank 0's summary line, the syncs, the MB it sent per second of training and the share
of training time spent in MPI calls. Every run is appended to benchsuite/results/mpi.jsonl.

Build: cargo build --release --features mpi (needs OpenMPI or MPICH and libclang)
Run:   benchsuite/mpi.py --w2v target/release/w2v --corpus /tmp/enwiki_100M.txt --seeds 3
Inputs: --corpus (plain text; default ../shared/data/enwiki_text8style_100M.gz, decompressed
into --out once), --eval-dir (default ../shared/data/eval).
"""
import argparse, datetime, gzip, json, os, shutil, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from compare import run_timed  # noqa: E402
from subwords import scores  # noqa: E402  (analogy, WS-353, SimLex-999 through `w2v eval`)

DEFAULT_SYNC = 50_000


def run(a, ranks, threads, sync, seed, corpus):
    out = os.path.join(a.out, f"mpi-{ranks}x{threads}-{sync}-{seed}.bin")
    train = [a.w2v, "train", corpus, "-o", out, "--model", "skipgram", "--dim", "100",
             "--window", "5", "--negative", "5", "--min-count", "5", "--sample", "1e-4",
             "--epochs", "5", "--lr", "0.025", "--threads", str(threads), "--seed", str(seed),
             "--sync-every", str(sync)]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = train if ranks == 1 else ["mpirun", "-np", str(ranks), "--oversubscribe"] + train
    wall, _, _, text = run_timed(cmd, env=env)
    line = [l for l in text.splitlines() if l.startswith("trained ")][-1]
    row = {"ranks": ranks, "threads": threads, "sync_every": sync, "seed": seed, "wall_s": round(wall, 1),
           "train_s": float(line.split(") in ")[1].split(" s")[0])}
    traffic = [l for l in text.splitlines() if l.startswith("rank 0 of")]
    if traffic:
        t = traffic[-1]
        row["syncs"] = int(t.split(": ")[1].split()[0])
        row["mb_per_s"] = float(t.split(" MB sent (")[1].split(" MB/s")[0])
        row["mpi_share"] = float(t.split("(")[-1].split("%")[0]) / 100
    row.update(scores(a, out))
    os.remove(out)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--w2v", default=os.path.join(ROOT, "target", "release", "w2v"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "data", "enwiki_text8style_100M.gz"))
    ap.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "data", "eval"))
    ap.add_argument("--out", default="/tmp/w2v-mpi-bench")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--configs", default="1x2,2x1,4x1", help="RANKSxTHREADS, comma-separated")
    ap.add_argument("--syncs", default=f"{DEFAULT_SYNC},{4 * DEFAULT_SYNC}")
    ap.add_argument("--tag", default="", help="recorded with every run (e.g. the variant measured)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    corpus = a.corpus
    if corpus.endswith(".gz"):
        plain = os.path.join(a.out, "corpus.txt")
        if not os.path.exists(plain):
            with gzip.open(corpus, "rb") as f, open(plain, "wb") as g:
                shutil.copyfileobj(f, g)
        corpus = plain
    configs = [tuple(int(x) for x in c.split("x")) for c in a.configs.split(",")]
    syncs = [int(s) for s in a.syncs.split(",")]
    plan = [(r, t, s) for (r, t) in configs for s in (syncs if r > 1 else syncs[:1])]
    log = os.path.join(HERE, "results", "mpi.jsonl")
    rows = []
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        for r, t, s in plan:
            row = run(a, r, t, s, seed, corpus)
            row["date"] = datetime.date.today().isoformat()
            row["corpus"] = os.path.basename(a.corpus)
            if a.tag:
                row["tag"] = a.tag
            with open(log, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    mean = lambda rs, k: statistics.mean(x[k] for x in rs) if rs and all(k in x for x in rs) else float("nan")
    base = [x for x in rows if x["ranks"] == 1]
    print("| ranks x threads | --sync-every | analogy | WS-353 | SimLex | Δ analogy (pt) | Δ WS-353 | Δ SimLex "
          "| syncs | MB/s sent (rank 0) | MPI share of training |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r, t, s in plan:
        rs = [x for x in rows if (x["ranks"], x["threads"], x["sync_every"]) == (r, t, s)]
        d = lambda k, scale=1.0: (mean(rs, k) - mean(base, k)) * scale
        print(f"| {r} x {t} | {s if r > 1 else '-'} | {mean(rs, 'analogy'):.4f} | {mean(rs, 'wordsim353'):.4f} "
              f"| {mean(rs, 'simlex999'):.4f} | {d('analogy', 100):+.2f} | {d('wordsim353'):+.4f} | {d('simlex999'):+.4f} "
              f"| {mean(rs, 'syncs'):.0f} | {mean(rs, 'mb_per_s'):.2f} | {100 * mean(rs, 'mpi_share'):.1f}% |")


if __name__ == "__main__":
    main()
