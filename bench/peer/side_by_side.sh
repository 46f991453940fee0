#!/usr/bin/env bash
# Ours and the PyTorch peer back to back on each configuration, 1 thread each (the
# peer's best per ../shared/reference/README.md), one JSON line per run into $OUT.
#   bash bench/peer/side_by_side.sh [OUT=bench-results.jsonl]
# Subsets (--limit) keep each pair under ~3 minutes on a shared 2-core machine.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-bench-results.jsonl}
D=${GRADFORMER_DATA_ROOT:-../shared/datasets}
PY=${PYTHON:-/usr/bin/python3}
pair() {  # label, ours-args, peer-args
  echo "== $1 (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  echo "{\"label\":\"$1\",\"side\":\"ours\",\"run\":$(npm run -s bench:train -- $2 --data-root "$D" --threads 1 --json 2>/dev/null | tail -1)}" >> "$OUT"
  echo "{\"label\":\"$1\",\"side\":\"peer\",\"run\":$($PY bench/peer/bench_peer.py $3 --threads 1 2>/dev/null | tail -1)}" >> "$OUT"
}
pair nci1-4 "--dataset NCI1 --epochs 3" "--preset nci1 --data $D/NCI1 --epochs 3"
pair nci1-16-limit1000 "--dataset NCI1 --layers 16 --limit 1000 --epochs 2" "--preset nci1 --layers 16 --limit 1000 --data $D/NCI1 --epochs 2"
pair zinc-limit2000 "--dataset ZINC --limit 2000 --eval-limit 500 --epochs 2" "--preset zinc --limit 2000 --eval-limit 500 --data $D/ZINC --epochs 2"
pair molhiv-limit320 "--dataset ogbg-molhiv --limit 320 --eval-limit 320 --epochs 2" "--preset molhiv --limit 320 --eval-limit 320 --data $D/ogbg-molhiv --epochs 2"
