#!/usr/bin/env python3
"""SimLex-999 by part of speech: Spearman over all pairs and within the adjective, noun and verb
pairs (the file's own order: 111, 666 and 222 pairs), for each word2vec binary file given.
usage: simlex_parts.py VECTORS.bin [VECTORS.bin ...]   (needs numpy and scipy)"""
import os, sys
import numpy as np
from scipy.stats import spearmanr

SIMLEX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data",
                      "eval", "simlex999.txt")
PARTS = [("all", 0, 999), ("adjectives", 0, 111), ("nouns", 111, 777), ("verbs", 777, 999)]


def load(path):
    """word -> unit vector, from a word2vec binary file."""
    with open(path, "rb") as f:
        n, d = map(int, f.readline().split())
        vecs = {}
        for _ in range(n):
            word = bytearray()
            while (c := f.read(1)) != b" ":
                if c != b"\n":
                    word += c
            v = np.frombuffer(f.read(4 * d), dtype=np.float32)
            vecs[word.decode("utf-8", "replace")] = v / (np.linalg.norm(v) + 1e-12)
    return vecs


def main():
    pairs = [l.rstrip("\n").split("\t") for l in open(SIMLEX, encoding="utf-8")
             if not l.startswith("#")]
    print("vectors | " + " | ".join(f"{name} (pairs)" for name, _, _ in PARTS))
    for path in sys.argv[1:]:
        vecs = load(path)
        cells = []
        for _, lo, hi in PARTS:
            got = [(float(vecs[a] @ vecs[b]), float(s)) for a, b, s in pairs[lo:hi]
                   if a in vecs and b in vecs]
            cells.append(f"{spearmanr(*zip(*got))[0]:.4f} ({len(got)})")
        print(os.path.basename(path) + " | " + " | ".join(cells))


if __name__ == "__main__":
    main()
