#!/bin/sh
# finalfrontier skip-gram without subwords at the reference settings, vectors as word2vec text.
# usage: peer_finalfrontier.sh CORPUS OUT.txt [LR] [THREADS]
# finalfrontier reads one sentence per line, so the corpus (text8-style: one line) is first cut
# into lines of 1,000 tokens, cached as CORPUS.lines1000 (FINALFRONTIER: the binary, default
# `finalfrontier` on PATH; `cargo install finalfrontier`). It takes no seed: every run is a draw.
# FF_EPOCHS (default 5) is finalfrontier's --epochs. finalfrontier stops after epochs x corpus
# tokens *kept by subsampling* (src/subcommands/skipgram.rs, do_work), so at --discard 1e-4 on
# the 100 MB corpus (55% kept) its "5 epochs" are 9.06 passes; --epochs 3 is 5.44 passes.
set -eu
corpus=$1 out=$2 lr=${3:-0.025} threads=${4:-2}
lines=$corpus.lines1000
if [ ! -f "$lines" ]; then
    tr -s ' \n' '\n\n' < "$corpus" | paste -d ' ' $(yes - | head -n 1000) > "$lines.tmp"
    mv "$lines.tmp" "$lines"
fi
"${FINALFRONTIER:-finalfrontier}" skipgram "$lines" "$out" --subwords none --dims 100 --context 5 \
    --ns 5 --mincount 5 --discard 1e-4 --epochs "${FF_EPOCHS:-5}" --lr "$lr" --threads "$threads" -f textdims
