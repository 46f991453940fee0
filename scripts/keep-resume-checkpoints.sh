#!/usr/bin/env bash
# Before committing experiment folders written straight into results/: drops the
# checkpoints (best/, last/) of finished runs (their log.jsonl holds the result) and
# keeps those of unfinished runs, so that a new machine continues them bit for bit
# with `gradformer experiment ... --resume` (a few MB per run).
#   scripts/keep-resume-checkpoints.sh results/EXP [results/EXP ...]
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: scripts/keep-resume-checkpoints.sh EXP_DIR [EXP_DIR ...]" >&2; exit 2; }
for exp in "$@"; do
  for run in "$exp"/run-*/; do
    run=${run%/}
    if grep -q '"final":true' "$run/log.jsonl" 2>/dev/null; then
      rm -rf "$run/best" "$run/last"
    elif [ -f "$run/last/state.json" ]; then
      echo "$run: unfinished ($(grep -c '"epoch"' "$run/log.jsonl") epochs): keeping last/ and best/ to resume" >&2
    else
      echo "$run: unfinished, before its first checkpoint: nothing to keep" >&2
      rm -rf "$run"
    fi
  done
done
