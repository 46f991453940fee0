#!/usr/bin/env bash
# Copies experiment folders into results/<name>/ without their checkpoints: per run
# config.json, env.json and log.jsonl, plus results.md/csv where the experiment
# finished. The table in docs/RESULTS.md is regenerated from these with
#   node --import tsx scripts/collect-results.ts results/<name> ...
# and `gradformer report results/<name>` draws the curves (no attention panels:
# those need a checkpoint).
#   scripts/archive-results.sh EXP_DIR [EXP_DIR ...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -gt 0 ] || { echo "usage: scripts/archive-results.sh EXP_DIR [EXP_DIR ...]" >&2; exit 2; }
for src in "$@"; do
  name="$(basename "$src")"
  dest="$root/results/$name"
  rm -rf "$dest"
  mkdir -p "$dest"
  for f in results.md results.csv; do [ -f "$src/$f" ] && cp "$src/$f" "$dest/"; done
  for run in "$src"/run-*/; do
    r="$(basename "$run")"
    [ -s "$run/log.jsonl" ] || continue  # a run stopped before its first epoch
    mkdir -p "$dest/$r"
    for f in config.json env.json log.jsonl; do [ -f "$run/$f" ] && cp "$run/$f" "$dest/$r/"; done
  done
  echo "$src -> results/$name ($(ls -d "$dest"/run-* 2>/dev/null | wc -l) runs)"
done
