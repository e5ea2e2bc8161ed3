#!/usr/bin/env bash
# Thread scaling of w2v training: 1 and 2 threads (or THREADS="1 2 4"), alternating, median
# training words/s of RUNS runs each, and the speed-up over 1 thread.
#
# Usage: benchsuite/scaling.sh [CORPUS] [-- extra w2v train flags]
#   CORPUS  default ../shared/data/enwiki_text8style_100M.gz; a plain-text slice (e.g. the
#           first 20 MB, decompressed) gives the same ratios in a fraction of the time.
# Environment: W2V (binary, default target/release/w2v), RUNS (default 3), THREADS (default
# "1 2"), MODEL (skipgram or cbow, default skipgram). Standard settings otherwise: dim 100,
# window 5, negative 5, min-count 5, sample 1e-4, 5 epochs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W2V=${W2V:-$ROOT/target/release/w2v}
RUNS=${RUNS:-3}
THREADS=${THREADS:-1 2}
MODEL=${MODEL:-skipgram}
CORPUS=${1:-$ROOT/../shared/data/enwiki_text8style_100M.gz}
shift || true
[ "${1:-}" = "--" ] && shift
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

declare -A speeds
for r in $(seq "$RUNS"); do
  for t in $THREADS; do
    wps=$("$W2V" train "$CORPUS" -o "$OUT/v.bin" --model "$MODEL" --sample 1e-4 --threads "$t" "$@" 2>&1 \
      | grep '^trained ' | grep -o '[0-9]* words/s' | cut -d' ' -f1)
    speeds[$t]="${speeds[$t]:-} $wps"
    echo "run $r, $t thread(s): $wps words/s" >&2
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "Corpus: $CORPUS; model $MODEL; flags: ${*:-none}; $RUNS runs each, medians."
echo
echo "| threads | training words/s | speed-up |"
echo "|---|---|---|"
base=""
for t in $THREADS; do
  m=$(echo "${speeds[$t]}" | median)
  [ -z "$base" ] && base=$m
  printf '| %s | %s | %.2f× |\n' "$t" "$m" "$(echo "$m / $base" | bc -l)"
done
