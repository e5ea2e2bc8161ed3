#!/usr/bin/env bash
# End-to-end time of training on raw text with --tokenizer unicode against training on the same
# text pre-split (its `w2v tokenize` output, read by the default whitespace tokenizer):
# skip-gram, reference settings, 5 epochs, 2 threads, runs alternated, medians.
#
# usage: benchsuite/raw_speed.sh [TEXT] [RUNS]
#   TEXT  default: the first 25 MB of ../shared/data/enwiki_text8style_100M.gz
#   RUNS  default 3
# Environment: W2V (default target/release/w2v).
set -euo pipefail
cd "$(dirname "$0")/.."
W2V=${W2V:-target/release/w2v}
RUNS=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
TEXT=${1:-}
if [ -z "$TEXT" ]; then
  TEXT=$work/raw.txt
  (zcat ../shared/data/enwiki_text8style_100M.gz || true) | head -c 25000000 > "$TEXT"
fi
"$W2V" tokenize "$TEXT" -o "$work/split.txt" -q
flags=(--sample 1e-4 --threads 2 --quiet)
raw=() split=()
for i in $(seq "$RUNS"); do
  t0=$(date +%s.%N)
  TMPDIR=$work "$W2V" train "$TEXT" -o "$work/a.bin" --tokenizer unicode "${flags[@]}"
  t1=$(date +%s.%N)
  "$W2V" train "$work/split.txt" -o "$work/b.bin" "${flags[@]}"
  t2=$(date +%s.%N)
  raw+=("$(echo "$t1 - $t0" | bc)") split+=("$(echo "$t2 - $t1" | bc)")
  echo "run $i: unicode ${raw[-1]} s, pre-split ${split[-1]} s" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mr=$(median "${raw[@]}") ms=$(median "${split[@]}")
echo "| text | runs | --tokenizer unicode (s) | pre-split (s) | ratio |"
echo "|---|---|---|---|---|"
echo "| $(basename "$TEXT") ($(stat -c %s "$TEXT") bytes) | $RUNS | $mr | $ms | $(echo "scale=3; $mr / $ms" | bc) |"
