#!/usr/bin/env bash
# The prepared device check of the CUDA kernels, for the lent GPU machine (../shared/device/README.md).
# That machine has nvcc and compute-sanitizer but no Node.js, so build here and carry the build:
#   here:       npm run build:cuda            (build/cuda/gfc_test: static CUDA runtime, x86-64)
#   device run: carry ["build/cuda"], command  bash scripts/device-check.sh
# It runs, each under a time limit so the whole check ends inside one 10-minute device call:
#   1. build/cuda/gfc_test          every gfc_ kernel against its C twin, twice for bit-identity
#   2. compute-sanitizer memcheck   out-of-bounds / misaligned accesses, leaks   (gfc_test --small)
#   3. compute-sanitizer racecheck  shared-memory hazards                         (gfc_test --small)
# and writes gpu.txt, gfc_test.txt, memcheck.txt, racecheck.txt and summary.txt under $OUT
# (build/device-check without $OUT). Exit status: 0 when all three pass, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-$PWD/build/device-check}"
mkdir -p "$out"
exe=build/cuda/gfc_test
if [ ! -x "$exe" ]; then
  echo "device-check: $exe is missing: run npm run build:cuda before packing, and carry build/cuda" | tee "$out/summary.txt"
  exit 1
fi
san="$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)"
nvidia-smi -L > "$out/gpu.txt" 2>&1
cat "$out/gpu.txt"

status=0
step() {  # name, seconds, command...: runs it with a limit, keeps the log, records the outcome
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" > "$out/$name.txt" 2>&1
  local rc=$?
  local verdict=pass
  [ $rc -eq 0 ] || { verdict="FAIL (exit $rc$([ $rc -eq 124 ] && echo ', timed out'))"; status=1; }
  echo "$name: $verdict in $((SECONDS - t0)) s; last line: $(tail -n 1 "$out/$name.txt")" | tee -a "$out/summary.txt"
}

: > "$out/summary.txt"
step gfc_test 150 "$exe"
grep '^FAIL' "$out/gfc_test.txt" | head -20
if [ -z "$san" ]; then
  echo "compute-sanitizer: not found, so memcheck and racecheck did not run" | tee -a "$out/summary.txt"
  exit 1
fi
step memcheck 200 "$san" --tool memcheck --leak-check full --error-exitcode 3 "$exe" --small
step racecheck 200 "$san" --tool racecheck --racecheck-report hazard --error-exitcode 3 "$exe" --small
exit $status
