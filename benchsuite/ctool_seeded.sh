#!/bin/sh
# Builds word2vec.c (the copy that `pip install word2vec` ships) with a seed: the C tool seeds
# its random streams with fixed numbers (1 for the initial vectors, the thread index for
# training), so its repeated runs differ only by thread timing and are one draw of its
# randomness. This copy adds W2V_C_SEED (an integer, default 0) to both; 0 is the stock tool.
# usage: benchsuite/ctool_seeded.sh [OUT]   (default /tmp/word2vec-seeded); then
#        python3 benchsuite/levers.py --c-tool /tmp/word2vec-seeded --ctool 'LABEL=FLAGS' ...
# (levers.py passes each run's seed as W2V_C_SEED).
set -eu
out=${1:-/tmp/word2vec-seeded}
src=$(python3 -c 'import os, word2vec; print(os.path.join(os.path.dirname(word2vec.__file__), "includes", "word2vec.c"))' 2>/dev/null \
  || ls /tmp/peers/lib/python3*/site-packages/word2vec/includes/word2vec.c)
tmp=$(mktemp -d)
# The seed offsets the streams by multiples of a large odd constant, so that seeds differ in
# every bit of the linear congruential generator's state.
sed -e 's|unsigned long long next_random = 1;|unsigned long long next_random = 1 + c_seed() * 0x9E3779B97F4A7C15ULL;|' \
    -e 's|unsigned long long next_random = (long long)id;|unsigned long long next_random = (long long)id + c_seed() * 0x9E3779B97F4A7C15ULL;|' \
    -e 's|^void InitNet() {|static unsigned long long c_seed(void) { const char *s = getenv("W2V_C_SEED"); return s ? strtoull(s, 0, 10) : 0; }\nvoid InitNet() {|' \
    "$src" > "$tmp/word2vec.c"
test "$(grep -c 'c_seed()' "$tmp/word2vec.c")" = 2 || { echo "ctool_seeded.sh: word2vec.c did not patch" >&2; exit 1; }
gcc "$tmp/word2vec.c" -o "$out" -lm -pthread -O3 -Wall -march=native -funroll-loops -Wno-unused-result
rm -rf "$tmp"
echo "$out"
