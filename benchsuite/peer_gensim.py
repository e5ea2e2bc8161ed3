#!/usr/bin/env python3
"""gensim Word2Vec in corpus_file mode; prints {"train_seconds": ...}.
usage: peer_gensim.py LINES_CORPUS OUT.bin sg|cbow LR THREADS"""
import json, logging, sys, time
from gensim.models import Word2Vec

corpus, out, model, lr, threads = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
logging.disable(logging.WARNING)
m = Word2Vec(vector_size=100, window=5, negative=5, hs=0, min_count=5, sample=1e-4, epochs=5, alpha=lr,
             workers=threads, sg=1 if model == "sg" else 0, seed=1)
m.build_vocab(corpus_file=corpus)
t0 = time.perf_counter()
m.train(corpus_file=corpus, total_words=m.corpus_total_words, total_examples=m.corpus_count, epochs=5)
train = time.perf_counter() - t0
m.wv.save_word2vec_format(out, binary=True)
print(json.dumps({"train_seconds": train}))
