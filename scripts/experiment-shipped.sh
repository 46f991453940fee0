#!/usr/bin/env bash
# The runs whose best/ weights the package ships as `--model ZINC` and
# `--model ogbg-molhiv` (issues 17 and 18), official presets, one seed each:
#   zinc:   a fresh 2000-epoch ZINC run (~10 h of one core): the one of sessions
#           2-5 stopped at epoch 807 and could not continue (checkpoint never committed);
#   molhiv: ogbg-molhiv seed 0 again (~6.4 h), the run of docs/RESULTS.md, whose
#           weights were never kept.
# They span sessions: each resumes bit for bit from its committed last/ checkpoint
# (scripts/keep-resume-checkpoints.sh keeps it, and best/, at each session's end).
#   scripts/experiment-shipped.sh zinc|molhiv
set -uo pipefail
cd "$(dirname "$0")/.."
D=${GRADFORMER_DATA_ROOT:-../shared/datasets}
case "${1:-}" in
  zinc) out=results/zinc-2000b preset=ZINC ;;
  molhiv) out=results/molhiv-100b preset=ogbg-molhiv ;;
  *) echo "usage: scripts/experiment-shipped.sh zinc|molhiv" >&2; exit 2 ;;
esac
[ -f "$out/results.csv" ] && exit 0
r=(); [ -d "$out" ] && r=(--resume)
echo "$(date -u +%FT%TZ) start $out" >&2
node dist/src/cli/main.js --threads 1 experiment --preset "$preset" --runs 1 --data-root "$D" --out "$out" --quiet "${r[@]}"
echo "$(date -u +%FT%TZ) done $out rc=$?" >&2
