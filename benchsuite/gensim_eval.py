#!/usr/bin/env python3
"""Scores a word2vec file with gensim, for checking that `w2v eval` agrees with it.

Usage: gensim_eval.py VECTORS [--restrict N ...] [--eval DIR]

Prints one JSON object: for each restrict value, gensim's `evaluate_word_analogies`
(case-insensitive) result as counts per section, and `evaluate_word_pairs` on WordSim-353
(default restrict_vocab=300000, case-insensitive). `tests/fixtures/gensim_expected.json` was
made with this script (gensim 4.4.0) from `tests/fixtures/vectors.bin.gz`.
"""
import argparse
import json
import logging
import os

from gensim.models import KeyedVectors

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vectors")
    ap.add_argument("--restrict", type=int, nargs="+", default=[30000])
    ap.add_argument("--eval", default=os.path.join(HERE, "..", "data", "eval"))
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)
    kv = KeyedVectors.load_word2vec_format(args.vectors, binary=".bin" in args.vectors)
    out = {"vectors": os.path.basename(args.vectors), "words": len(kv), "analogy": {}}
    qw = os.path.join(args.eval, "questions-words.txt")
    for r in args.restrict:
        acc, sections = kv.evaluate_word_analogies(qw, restrict_vocab=r, case_insensitive=True)
        out["analogy"][str(r)] = {
            "accuracy": acc,
            "sections": [{"name": s["section"], "correct": len(s["correct"]),
                          "answered": len(s["correct"]) + len(s["incorrect"])} for s in sections],
        }
    pearson, spearman, oov = kv.evaluate_word_pairs(os.path.join(args.eval, "wordsim353.tsv"))
    out["wordsim353"] = {"spearman": float(spearman.statistic), "pearson": float(pearson.statistic),
                         "oov_percent": oov}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
