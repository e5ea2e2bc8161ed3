#!/usr/bin/env bash
# Times w2v's query side: loading a large binary file, one `similar` query over a 1M-word
# vocabulary, and `eval` over the Google analogy set; gensim beside it when available.
#
# Usage: benchsuite/queries.sh VECTORS.bin [OUT_DIR]
#   VECTORS.bin  a trained 100-dimensional model (e.g. from benchsuite/compare.py --keep-vectors)
#   OUT_DIR      scratch space for the synthetic 1,000,000 x 300 file (1.2 GB; default benchsuite/out)
# Environment: W2V (binary, default target/release/w2v), PYTHON (with numpy and gensim, default
# ../peers-venv/bin/python), RUNS (default 3). Prints medians.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W2V=${W2V:-$ROOT/target/release/w2v}
PYTHON=${PYTHON:-$ROOT/../peers-venv/bin/python}
RUNS=${RUNS:-3}
VEC=$1
OUT=${2:-$ROOT/benchsuite/out}
mkdir -p "$OUT"
BIG=$OUT/big-1M-300.bin
QW=$ROOT/data/eval/questions-words.txt

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
timed() { for _ in $(seq "$RUNS"); do secs "$@"; done | median; }

if [ ! -s "$BIG" ]; then
  echo "writing $BIG (1,000,000 random words x 300 floats)..." >&2
  "$PYTHON" - "$BIG" <<'PY'
import sys, numpy as np
n, d = 1_000_000, 300
rng = np.random.default_rng(1)
rec = np.zeros((n, 8 + 1 + 4 * d + 1), dtype=np.uint8)
rec[:, :8] = np.frombuffer(b"".join(b"w%07d" % i for i in range(n)), dtype=np.uint8).reshape(n, 8)
rec[:, 8] = ord(" ")
rec[:, 9:9 + 4 * d] = rng.standard_normal((n, d), dtype=np.float32).view(np.uint8).reshape(n, 4 * d)
rec[:, -1] = ord("\n")
with open(sys.argv[1] + ".part", "wb") as f:
    f.write(b"%d %d\n" % (n, d))
    rec.tofile(f)
import os; os.replace(sys.argv[1] + ".part", sys.argv[1])
PY
fi
ALLQ=$OUT/questions-30k-100.bin
if [ ! -s "$ALLQ" ]; then  # every question word plus filler words: all 19,544 questions answerable
  "$PYTHON" - "$ALLQ" "$QW" <<'PY'
import sys, numpy as np
words = sorted({w.lower() for l in open(sys.argv[2]) if not l.startswith(":") for w in l.split()})
words += ["filler%05d" % i for i in range(30000 - len(words))]
v = np.random.default_rng(3).standard_normal((len(words), 100), dtype=np.float32)
with open(sys.argv[1], "wb") as f:
    f.write(b"%d 100\n" % len(words))
    for w, row in zip(words, v):
        f.write(w.encode() + b" " + row.tobytes() + b"\n")
PY
fi
size=$(stat -c %s "$BIG")
cat "$BIG" >/dev/null  # warm the page cache
t_cat=$(timed cat "$BIG")
t_load=$(timed sh -c "'$W2V' similar '$BIG' </dev/null")
cold_cat=-; cold_load=-
if [ -w /proc/sys/vm/drop_caches ]; then  # cold cache: the disk's speed (needs root)
  cold() { for _ in $(seq "$RUNS"); do sync; echo 3 >/proc/sys/vm/drop_caches; secs "$@"; done | median; }
  cold_cat=$(cold cat "$BIG")
  cold_load=$(cold sh -c "'$W2V' similar '$BIG' </dev/null")
  cat "$BIG" >/dev/null
fi
q1=$OUT/queries1.txt; q100=$OUT/queries100.txt; q1000=$OUT/queries1000.txt
"$PYTHON" -c "import random; random.seed(2); print('\n'.join('w%07d' % random.randrange(1000000) for _ in range(1000)))" >"$q1000"
head -100 "$q1000" >"$q100"; head -1 "$q1000" >"$q1"
t_1=$(timed sh -c "'$W2V' similar '$BIG' -k 10 <'$q1'")
t_100=$(timed sh -c "'$W2V' similar '$BIG' -k 10 <'$q100'")
t_1000=$(timed sh -c "'$W2V' similar '$BIG' -k 10 <'$q1000'")
per_query=$(echo "($t_1000 - $t_100) / 900 * 1000" | bc -l)
first_query=$(echo "($t_1 - $t_load) * 1000" | bc -l)

t_eval=$(timed "$W2V" eval "$VEC" --analogies "$QW")
t_eval_all=$(timed "$W2V" eval "$VEC" --analogies "$QW" --restrict 0)
t_vload=$(timed sh -c "'$W2V' similar '$VEC' </dev/null")
answered=$("$W2V" eval "$VEC" --analogies "$QW" --json | "$PYTHON" -c "import json,sys; a=json.load(sys.stdin)['analogy']; print(a['answered'], a['skipped'])")
answered_all=$("$W2V" eval "$VEC" --analogies "$QW" --restrict 0 --json | "$PYTHON" -c "import json,sys; a=json.load(sys.stdin)['analogy']; print(a['answered'])")
words=$(head -c 100 "$VEC" | head -1)
t_allq=$(timed "$W2V" eval "$ALLQ" --analogies "$QW")
allq=$("$W2V" eval "$ALLQ" --analogies "$QW" --json | "$PYTHON" -c "import json,sys; a=json.load(sys.stdin)['analogy']; print(a['answered'])")

g_eval=-; g_eval_all=-; g_allq=-
if "$PYTHON" -c "import gensim" 2>/dev/null; then
  read -r g_eval g_eval_all g_allq < <("$PYTHON" - "$VEC" "$QW" "$RUNS" "$ALLQ" <<'PY'
import sys, time, logging, statistics
from gensim.models import KeyedVectors
logging.disable(logging.CRITICAL)
def t(kv, r):
    ts = []
    for _ in range(int(sys.argv[3])):
        t0 = time.perf_counter(); kv.evaluate_word_analogies(sys.argv[2], restrict_vocab=r); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=True)
allq = KeyedVectors.load_word2vec_format(sys.argv[4], binary=True)
print(f"{t(kv, 30000):.2f} {t(kv, len(kv)):.2f} {t(allq, 30000):.2f}")
PY
)
fi

printf '\nMachine: %s, %s cores. Medians of %s runs.\n\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" "$RUNS"
printf '| what | w2v | reference |\n|---|---|---|\n'
printf '| `similar` ready: load 1M x 300 binary (%.2f GB, page cache) + norms + i8 copy | %.2f s (%.2f GB/s) | `cat`: %.2f s (%.2f GB/s) |\n' \
  "$(echo "$size/10^9" | bc -l)" "$t_load" "$(echo "$size/10^9/$t_load" | bc -l)" "$t_cat" "$(echo "$size/10^9/$t_cat" | bc -l)"
printf '| load, cold page cache (drop_caches) | %s s | `cat`: %s s |\n' "$cold_load" "$cold_cat"
printf '| one `similar` query, 1M x 300, k = 10 (marginal, 1000 vs 100 queries) | %.1f ms | |\n' "$per_query"
printf '| first query (load subtracted) | %.0f ms | |\n' "$first_query"
printf '| eval, all %s questions answerable, 30,000 x 100 random vectors (whole process) | %.2f s | gensim: %s s (after load) |\n' "$allq" "$t_allq" "$g_allq"
printf '| eval, %s (%s), restrict 30,000: %s answered, %s skipped | %.2f s (load %.2f s) | gensim: %s s (after load) |\n' \
  "$(basename "$VEC")" "$words" $answered "$t_eval" "$t_vload" "$g_eval"
printf '| eval, restrict none: %s answered | %.2f s | gensim: %s s |\n' "$answered_all" "$t_eval_all" "$g_eval_all"
