#!/usr/bin/env bash
# Do two w2v binaries compute the same vectors? Trains data/sample.txt.gz for one epoch with
# each (one thread, or --deterministic with two) in six configurations and compares the files.
# Usage: benchsuite/same_bits.sh OLD_BINARY NEW_BINARY
set -uo pipefail
old=${1:?old binary}; new=${2:?new binary}
corpus="$(cd "$(dirname "$0")/.." && pwd)/data/sample.txt.gz"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for args in "--model skipgram --threads 1" "--model cbow --threads 1" \
    "--model skipgram --loss hs --threads 1" "--model cbow --loss hs --dim 30 --threads 1" \
    "--model skipgram --shared-negatives false --dim 30 --threads 1" \
    "--model skipgram --deterministic --threads 2 --dim 30"; do
  # shellcheck disable=SC2086
  "$old" train "$corpus" -o "$tmp/old.bin" --epochs 1 $args -q || echo "old failed: $args"
  # shellcheck disable=SC2086
  "$new" train "$corpus" -o "$tmp/new.bin" --epochs 1 $args -q || echo "new failed: $args"
  if cmp -s "$tmp/old.bin" "$tmp/new.bin"; then echo "identical: $args"; else echo "DIFFERENT: $args"; status=1; fi
done
exit $status
