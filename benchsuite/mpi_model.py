#!/usr/bin/env python3
"""A scaling model of w2v's MPI training, from measured inputs (benchsuite/NOTES.md, "Training
on several MPI ranks", has the measurements and the reading).

Per rank (one per node, T worker threads and one coordinating thread), a partial sync moves D
bytes (the changes to the scheduled rows of both matrices) through one MPI_Allreduce; a full sync
(every epoch end; the last one reduced and broadcast) moves F bytes. Workers never wait for a
sync: while the coordinator syncs, they train, so a sync that takes longer than the interval
between syncs does not slow training down, it stretches the interval (in words) between syncs
instead, which costs quality (the notes measure a 4x longer interval). What does slow the run:
counting the vocabulary (each rank counts 1/P of the corpus, then every rank receives every rank's
counts: allgather of V_r bytes per rank), the full syncs, and the start.

Allreduce time for n bytes on P nodes (Rabenseifner: reduce-scatter + allgather):
  t(n) = 2 (P-1)/P * n / B + 2 log2(P) * alpha + n / M   (M: memory bandwidth for the local copy)

Run: benchsuite/mpi_model.py [--threads 32] [--words-per-thread 592000] ...
"""
import argparse, math


def allreduce(n, p, bw, alpha, mem):
    if p == 1:
        return 0.0
    return 2 * (p - 1) / p * n / bw + 2 * math.log2(p) * alpha + n / mem


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=32, help="worker threads per node")
    ap.add_argument("--words-per-thread", type=float, default=592e3,
                    help="words/s of one thread (measured: 1 x 2 skip-gram, 100 MB corpus)")
    ap.add_argument("--sync-every", type=float, default=50e3)
    ap.add_argument("--sync-bytes", type=float, default=9.9e6, help="bytes of one partial sync (D)")
    ap.add_argument("--full-bytes", type=float, default=54.3e6, help="bytes of one full sync (F)")
    ap.add_argument("--corpus-words", type=float, default=10e9, help="in-vocabulary tokens per epoch")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--count-words-per-s", type=float, default=24e6,
                    help="tokens/s of the counting pass on one rank (measured: 16.9M tokens in 0.7 s)")
    ap.add_argument("--vocab-bytes", type=float, default=100e6,
                    help="one rank's encoded word counts (V_r: ~20 bytes per word type it saw)")
    ap.add_argument("--bandwidth", type=float, default=25e9 / 8, help="bytes/s per node (25 Gb/s)")
    ap.add_argument("--latency", type=float, default=10e-6, help="seconds per message")
    ap.add_argument("--memory", type=float, default=10e9, help="bytes/s of the local row copies")
    a = ap.parse_args()
    node = a.threads * a.words_per_thread
    interval = a.sync_every / node
    print(f"node: {a.threads} threads x {a.words_per_thread / 1e3:.0f}k words/s = {node / 1e6:.1f}M words/s; "
          f"a sync every {a.sync_every / 1e3:.0f}k words = every {1e3 * interval:.2f} ms of compute")
    print("| nodes | partial sync (ms) | effective --sync-every (words) | vocabulary exchange (s) "
          "| counting (s) | full syncs (s) | training (s) | predicted time (s) | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = None
    for p in (1, 8, 32, 128):
        t_sync = allreduce(a.sync_bytes, p, a.bandwidth, a.latency, a.memory)
        effective = max(a.sync_every, t_sync * node)
        count = a.corpus_words / p / a.count_words_per_s
        vocab = (p - 1) * a.vocab_bytes / a.bandwidth
        full = a.epochs * allreduce(a.full_bytes, p, a.bandwidth, a.latency, a.memory) * (1 if p > 1 else 0)
        train = a.corpus_words * a.epochs / (p * node)
        total = count + vocab + full + train
        base = base or total
        print(f"| {p} | {1e3 * t_sync:.2f} | {effective:,.0f} | {vocab:.1f} | {count:.0f} | {full:.2f} | {train:,.0f} "
              f"| {total:,.0f} | {base / total:.1f}x |")


if __name__ == "__main__":
    main()
