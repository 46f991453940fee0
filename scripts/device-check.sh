#!/usr/bin/env bash
# The prepared device check for the lent GPU machine (../shared/device/README.md: an H200, 16 cores,
# nvcc, compute-sanitizer and PyTorch, but no Node.js). Here: npm ci && npm run build:cuda &&
# bash scripts/device-pack.sh; then ONE device run: carry [".device"], command
#   bash scripts/device-check.sh [quick|sanitize|threads|setup]   (timeout_s 560)
# quick (default), in this order, each step under its own limit and all inside BUDGET seconds (540):
#   gfc_test      every gfc_ kernel against its C twin on the GPU, twice for bit-identity
#   bench_gpu     npm run bench:gpu: our training epoch, the PyTorch reference's (bench_epoch.py
#                 --device cuda) and both peak device memories, NCI1 (4 and 16 layers) and ZINC, with
#                 our host<->device traffic per step
#   gpu_tests     test/cuda.test.ts (kernels, fixtures, gradients, a training run against cpu) and
#                 test/cuda_syncs.test.ts (the step's host reads and uploads)
#   cpu16_nci1, cpu16_zinc   bench:train --threads 16 (and 1 thread on NCI1, for the ratio); first the
#                 core-to-core latencies (bench/core_latency.c), which bound what threads can gain
# sanitize: compute-sanitizer memcheck and racecheck over gfc_test --small (~200 s each).
# threads: the CPU side only (~3 min): NCI1 at 1, 4, 8, 16 threads and auto, ZINC (first 3000 graphs)
#   at 1, 4, 16 and auto: how --threads scales there and what auto chooses (docs/PERFORMANCE.md, round 19).
# setup: only unpacks the carried build and says whether node, tsx, the datasets and CUDA are usable
# (a dry run of the packing, also here without a GPU).
# Writes one log per step, setup.txt and summary.txt under $OUT (build/device-check without it; at most
# 7 files, inside the device tool's limit of 8); exit 0 when every
# step passed. Steps left without time are named in the summary, never silently dropped.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-quick}
out="${OUT:-$PWD/build/device-check}"
mkdir -p "$out"
budget=${BUDGET:-540}
deadline=$((SECONDS + budget))
: > "$out/summary.txt"
say() { echo "$*" | tee -a "$out/summary.txt"; }

# Unpack the carried build into this checkout (see scripts/device-pack.sh).
if [ -d .device ]; then
  # shellcheck disable=SC1091
  source .device/on-device.sh > "$out/setup.txt" 2>&1 || { say "setup: on-device.sh failed: $(tail -n 1 "$out/setup.txt")"; exit 1; }
  mkdir -p node_modules build
  cp -r /tmp/app/node_modules/. node_modules/ && cp -r /tmp/app/build/. build/ && cp -r /tmp/app/dist . &&
    tar xJf .device/dev.tar.xz || { say "setup: unpacking the carried build failed"; exit 1; }
  # ../shared does not travel: point it at the carried copy (datasets, fixtures, reference).
  if [ ! -e ../shared ]; then ln -s "$PWD/.device/shared" ../shared 2>/dev/null || say "setup: cannot link ../shared (fixtures tests will fail)"; fi
  export GRADFORMER_DATA="$PWD/.device/shared/datasets"
fi
command -v node > /dev/null || { say "setup: no node on PATH: carry .device (scripts/device-pack.sh)"; exit 1; }
[ -x build/cuda/gfc_test ] || { say "setup: build/cuda/gfc_test is missing: npm run build:cuda, then scripts/device-pack.sh"; exit 1; }
say "device: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1), $(nproc) cores, node $(node --version), load $(cut -d' ' -f1 /proc/loadavg)"

status=0
step() {  # name, seconds, command...: runs it with min(limit, time left), keeps the log, records the outcome
  local name=$1 limit=$2
  shift 2
  local left=$((deadline - SECONDS))
  if [ "$left" -lt 20 ]; then say "$name: NOT RUN, the ${budget} s budget is spent"; status=1; return; fi
  [ "$limit" -le "$left" ] || limit=$left
  local t0=$SECONDS
  timeout "$limit" "$@" > "$out/$name.txt" 2>&1
  local rc=$?
  local verdict=pass
  [ $rc -eq 0 ] || { verdict="FAIL (exit $rc$([ $rc -eq 124 ] && echo ", timed out at $limit s"))"; status=1; }
  say "$name: $verdict in $((SECONDS - t0)) s; last line: $(tail -n 1 "$out/$name.txt")"
}

case "$mode" in
  quick)
    step gfc_test 90 build/cuda/gfc_test
    grep '^FAIL' "$out/gfc_test.txt" | head -20
    step bench_gpu 240 node --import tsx bench/gpu.ts --epochs 2 --only NCI1,ZINC
    step gpu_tests 150 node --import tsx --test --test-reporter=spec test/cuda.test.ts test/cuda_syncs.test.ts
    grep -E '^\s*(✖|﹣)' "$out/gpu_tests.txt" | head -20
    # (no npm there: node runs the benchmarks directly)
    step cpu16_nci1 80 bash -c '{ cc -O2 -pthread bench/core_latency.c -o /tmp/core_latency && /tmp/core_latency; } || true
      node --import tsx bench/train.ts --dataset NCI1 --epochs 3 --threads 16 --no-profile &&
      node --import tsx bench/train.ts --dataset NCI1 --epochs 3 --threads 1 --no-profile'
    step cpu16_zinc 120 node --import tsx bench/train.ts --dataset ZINC --epochs 2 --threads 16 --no-profile
    ;;
  sanitize)
    san="$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)"
    [ -n "$san" ] || { say "compute-sanitizer: not found, so memcheck and racecheck did not run"; exit 1; }
    step memcheck 250 "$san" --tool memcheck --leak-check full --error-exitcode 3 build/cuda/gfc_test --small
    step racecheck 250 "$san" --tool racecheck --racecheck-report hazard --error-exitcode 3 build/cuda/gfc_test --small
    ;;
  threads)
    { cc -O2 -pthread bench/core_latency.c -o /tmp/core_latency && /tmp/core_latency; } > "$out/core_latency.txt" 2>&1
    say "core latency: $(tail -n 1 "$out/core_latency.txt")"
    step threads_nci1 150 bash -c 'for t in 1 4 8 16 auto; do node --import tsx bench/train.ts --dataset NCI1 --epochs 3 --threads $t --no-profile --json; done'
    step threads_zinc 150 bash -c 'for t in 1 4 16 auto; do node --import tsx bench/train.ts --dataset ZINC --limit 3000 --eval-limit 200 --epochs 3 --threads $t --no-profile --json; done'
    ;;
  setup)
    step setup_check 60 node --import tsx -e "const m = await import('./src/tensor/kernels_cuda.ts');
      const d = await import('./src/data/registry.ts');
      console.log('datasets:', ['MUTAG', 'NCI1', 'ZINC'].map((n) => n + ' ' + (d.findDatasetDir(n) ? 'found' : 'MISSING')).join(', '));
      console.log('cuda:', m.cudaUnavailable() ?? 'ready')"
    ;;
  *) say "device-check: unknown mode '$mode', expected quick, sanitize, threads or setup"; exit 2 ;;
esac
exit $status
