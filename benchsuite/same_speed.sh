#!/usr/bin/env bash
# 1-epoch training speed of two w2v binaries, alternated, RUNS runs each, skip-gram and CBOW,
# 2 threads, --sample 1e-4; prints the training words/s of every run.
# Usage: benchsuite/same_speed.sh OLD_BINARY NEW_BINARY [CORPUS] [RUNS]
#   CORPUS defaults to ../shared/data/enwiki_text8style_100M.gz, RUNS to 3.
set -uo pipefail
old=${1:?old binary}; new=${2:?new binary}
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus=${3:-$root/../shared/data/enwiki_text8style_100M.gz}
runs=${4:-3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for model in skipgram cbow; do
  for i in $(seq "$runs"); do
    for which in old new; do
      bin=$old; [ "$which" = new ] && bin=$new
      line=$("$bin" train "$corpus" -o "$tmp/v.bin" --model "$model" --epochs 1 --threads 2 \
        --sample 1e-4 2>&1 | grep "^trained")
      echo "$model $which run$i: $(echo "$line" | grep -o '[0-9]* words/s')"
    done
  done
done
