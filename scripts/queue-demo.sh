#!/usr/bin/env bash
# The closing evidence of the queue (docs/DISTRIBUTED.md): MUTAG, 10 seeds, run
# once locally and once on two `gradformer worker`s through a password-protected
# Redis, with one worker killed (kill -9) in the middle of a run once a few runs
# have finished. Prints both wall times, the diff of the two results.csv files
# (every column but the seconds, which are wall time), a byte comparison of every
# run's best/ weights, and a search for the password in the queued experiment's files.
#
#   scripts/queue-demo.sh [EPOCHS]     (default 100, the MUTAG preset's)
#
# Needs redis-server (Debian: apt-get install redis-server) and a built checkout (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-100}
T=$(mktemp -d /tmp/gf-queue-demo-XXXXXX)
PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
PW="demo-$(node -e "console.log(require('crypto').randomBytes(9).toString('hex'))")"
URL="redis://:$PW@127.0.0.1:$PORT"
GF=(node dist/src/cli/main.js)
export GRADFORMER_THREADS=1
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

redis-server --save '' --appendonly yes --dir "$T" --port "$PORT" --bind 127.0.0.1 --requirepass "$PW" > "$T/redis.log" 2>&1 &
PIDS+=($!)
sleep 1
OPTS=(--preset MUTAG --runs 10 --epochs "$EPOCHS")
now() { date +%s.%N; }

echo "== local: gradformer experiment ${OPTS[*]}"
t0=$(now)
"${GF[@]}" experiment "${OPTS[@]}" --out "$T/local" --quiet
t1=$(now)

echo "== queue: 2 workers, coordinator, worker A killed with -9 mid-run"
"${GF[@]}" worker --queue "$URL" --lock-seconds 10 > "$T/worker-a.log" 2>&1 &
A=$!; PIDS+=($A)
"${GF[@]}" worker --queue "$URL" --lock-seconds 10 > "$T/worker-b.log" 2>&1 &
B=$!; PIDS+=($B)
t2=$(now)
"${GF[@]}" experiment "${OPTS[@]}" --queue "$URL" --checkpoint-every 5 --out "$T/queued" > "$T/coordinator.out" 2> "$T/coordinator.log" &
C=$!; PIDS+=($C)
# Kill A once 4 runs have finished and A is between 40% and 60% into its current run
# (the coordinator's progress lines lag by at most one poll, a second).
while kill -0 "$C" 2>/dev/null; do
  done_runs=$(grep -c 'finished on' "$T/coordinator.log" || true)
  ep=$(grep -E ":$A: epoch [0-9]+/" "$T/coordinator.log" | tail -1 | sed -E 's/.*: epoch ([0-9]+)\/.*/\1/' || true)
  if [ "$done_runs" -ge 4 ] && [ -n "$ep" ] && [ "$ep" -ge $((EPOCHS * 2 / 5)) ] && [ "$ep" -le $((EPOCHS * 3 / 5)) ]; then
    kill -9 "$A"
    echo "killed worker A (pid $A) at epoch $ep of its run, after $done_runs finished runs"
    break
  fi
  sleep 0.5
done
wait "$C"
t3=$(now)
echo "worker B on the killed run: $(grep 'resuming after' "$T/worker-b.log" || echo 'no resumed job (A was killed between runs?)')"
echo "coordinator: $(grep 'resumed after' "$T/coordinator.log" | tail -1)"

cat "$T/coordinator.out"

echo "== wall time"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN { printf "local: %.1f s   queue (2 workers, one killed): %.1f s\n", b - a, d - c }'
echo "== diff of results.csv without the seconds column (no output: identical)"
diff <(cut -d, -f1-6 "$T/local/results.csv") <(cut -d, -f1-6 "$T/queued/results.csv") && echo "identical: $(wc -l < "$T/local/results.csv") lines"
echo "== best/ weights of every run"
same=0; for i in $(seq 0 9); do cmp -s "$T/local/run-$i/best/model.safetensors" "$T/queued/run-$i/best/model.safetensors" && same=$((same + 1)); done
echo "$same of 10 runs have byte-identical best/model.safetensors"
echo "== the Redis password in the queued experiment's files"
if grep -rlF "$PW" "$T/queued"; then echo "FOUND (a bug)"; exit 1; else echo "not found in $(find "$T/queued" -type f | wc -l) files"; fi
cat "$T/queued/results.md"
echo "(all files in $T)"
