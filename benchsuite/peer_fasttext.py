#!/usr/bin/env python3
"""fastText skip-gram/CBOW, vectors of the dictionary's words saved as word2vec text.
usage: peer_fasttext.py CORPUS OUT.txt sg|cbow LR THREADS [MINN MAXN BUCKET [MODEL.bin]]
Without the optional arguments: no subwords (minn=maxn=0). With MODEL.bin, the model is saved
there too. The seed of fastText's random streams is FASTTEXT_SEED from the environment (default 0,
fastText's own); with several threads runs of one seed still differ by their interleaving."""
import json, os, sys, time
import fasttext
from fasttext import FastText

# train_unsupervised takes no seed argument but passes on its defaults' seed.
FastText.unsupervised_default["seed"] = int(os.environ.get("FASTTEXT_SEED", "0"))

corpus, out, model, lr, threads = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
minn, maxn, bucket = (int(x) for x in (sys.argv[6:9] or (0, 0, 2000000)))
m = fasttext.train_unsupervised(corpus, model="skipgram" if model == "sg" else "cbow", dim=100, ws=5, neg=5,
                                minCount=5, t=1e-4, epoch=5, lr=lr, thread=threads, minn=minn, maxn=maxn,
                                bucket=bucket, verbose=2)
t0 = time.perf_counter()
words = m.get_words()
with open(out, "w", encoding="utf-8") as f:
    f.write(f"{len(words)} {m.get_dimension()}\n")
    for w in words:
        f.write(w + " " + " ".join(f"{x:.6g}" for x in m.get_word_vector(w)) + "\n")
if len(sys.argv) > 9:
    m.save_model(sys.argv[9])
print(json.dumps({"save_seconds": time.perf_counter() - t0}))
