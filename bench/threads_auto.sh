#!/usr/bin/env bash
# 1, 2 and auto threads side by side, NCI1 and ZINC (--limit 3000), twice, with the
# core-to-core round trip around each round (docs/PERFORMANCE.md, round 19). Pause other work first.
cd "$(dirname "$0")/.."
npm run -s bench:core-latency | tail -1
for round in 1 2; do
for d in "NCI1" "ZINC --limit 3000 --eval-limit 200"; do
for t in 1 2 auto; do
  npm run -s bench:train -- --dataset $d --data-root ../shared/datasets --epochs 4 --threads $t --no-profile --json 2>&1 | tail -1 | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(d['dataset'], d['threads'], d['epoch_s'], d['epochs_s'], 'cpu', d['epoch_cpu_s'], d['last_loss'], d['threads_by_epoch'], [(x['kind'], x['step'], x['threads'], [(m['threads'], round(m['secondsPerNode']*1e6,2)) for m in x['medians']]) for x in d['thread_decisions']])"
done; done
npm run -s bench:core-latency | tail -1
done
