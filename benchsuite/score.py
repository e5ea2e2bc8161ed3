#!/usr/bin/env python3
"""Score word2vec vector files with gensim: analogy accuracy (questions-words, lowercased,
restricted to the 30,000 most frequent words, 3CosAdd), WordSim-353 Spearman and SimLex-999
Spearman (pairs with an unknown word skipped, as gensim's evaluate_word_pairs does).

usage: score.py VECTORS [VECTORS ...]   (binary if the name ends in .bin, else text)
prints one JSON object per file."""
import json, logging, os, sys
from gensim.models import KeyedVectors

EVAL = os.environ.get("W2V_EVAL", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "eval"))

def score(path):
    kv = KeyedVectors.load_word2vec_format(path, binary=path.endswith(".bin"), unicode_errors="replace")
    acc, _ = kv.evaluate_word_analogies(os.path.join(EVAL, "questions-words.txt"), restrict_vocab=30000, case_insensitive=True)
    pear, spear, oov = kv.evaluate_word_pairs(os.path.join(EVAL, "wordsim353.tsv"), case_insensitive=True)
    _, sl_spear, sl_oov = kv.evaluate_word_pairs(os.path.join(EVAL, "simlex999.txt"), case_insensitive=True)
    return {"file": path, "analogy": round(acc, 4), "ws353": round(spear[0], 4), "ws353_oov": oov,
            "simlex999": round(sl_spear[0], 4), "simlex999_oov": sl_oov, "words": len(kv)}

if __name__ == "__main__":
    logging.disable(logging.WARNING)
    for p in sys.argv[1:]:
        print(json.dumps(score(p)), flush=True)
