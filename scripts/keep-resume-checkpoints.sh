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
    # A run killed in the middle of a checkpoint swap left its previous checkpoint as
    # last.old-PID (or best.old-PID) and no last/: put it back, drop half-written ones
    # (what recoverCheckpoint in src/train/checkpoint.ts does on resume).
    for ck in last best; do
      for old in "$run/$ck".old-*; do
        if [ -d "$old" ] && [ ! -d "$run/$ck" ]; then mv "$old" "$run/$ck"; echo "$run: restored $ck/ from ${old##*/}" >&2; fi
      done
      rm -rf "$run/$ck".old-* "$run/$ck".tmp-*
    done
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
