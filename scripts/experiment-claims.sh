#!/usr/bin/env bash
# The paper's depth and scarce-data claims on NCI1 (issue 18), Gradformer against
# GraphGPS (--no-decay: the same model without the decay mask), official preset on
# the official scripts' split (torch permutation, seed 12344; lanes a and b) and on
# random splits (one per seed; lane r), written straight into results/<cell>. Cells run one after another; a finished cell (results.csv
# present) is skipped, an interrupted one continues bit for bit (--resume from its
# runs' last/ checkpoints, which are committed for unfinished runs at the end of a
# session). Run it again in a new session to go on where it stopped. Two lanes may run the
# same list side by side (r twice on 2 cores): a cell another lane holds is skipped.
# Lane m then runs more seeds of ZINC and ogbg-molhiv (issue 18: "as the time allows"), one
# cell per seed so that two lanes share them; lane r goes on into it when its grid is done.
#   scripts/experiment-claims.sh [a|b|r|m]  (a, b: two lanes to run side by side on 2 cores; r: the
#                                            same grid on random splits, then m; default: a, b, r, m in turn)
set -uo pipefail
cd "$(dirname "$0")/.."
D=${GRADFORMER_DATA_ROOT:-../shared/datasets}
G=(node dist/src/cli/main.js --threads 1 experiment --data-root "$D" --quiet)
BASE=(--preset NCI1 --split torch_random_80_10_10 --split-seed 12344)  # the official split; lanes r and m set their own
cell() {
  local out=$1; shift
  [ -f "results/$out/results.csv" ] && return 0
  # a cell another lane is running right now is left to it (the lock goes with that process)
  exec {lock}>"${TMPDIR:-/tmp}/gradformer-cell-$out.lock"
  flock -n "$lock" || { echo "$(date -u +%FT%TZ) skip $out (another lane runs it)" >&2; exec {lock}>&-; return 0; }
  local r=(); [ -d "results/$out" ] && r=(--resume)
  echo "$(date -u +%FT%TZ) start $out" >&2
  "${G[@]}" "${BASE[@]}" --out "results/$out" "${r[@]}" "$@"
  echo "$(date -u +%FT%TZ) done $out rc=$?" >&2
  exec {lock}>&-
}
lane_a() {  # depth, Gradformer side first (the lane that started in session 6)
  cell nci1-depth12-gf --runs 5 --layers 12
  cell nci1-depth12-gps --runs 5 --layers 12 --no-decay
  cell nci1-depth24-gf --runs 5 --layers 24
  cell nci1-depth24-gps --runs 5 --layers 24 --no-decay
}
lane_b() {  # scarce data (5 %, 10 %, and 100 % = the 4-layer depth cells)
  cell nci1-frac05-gf --runs 10 --train-fraction 0.05
  cell nci1-frac05-gps --runs 10 --train-fraction 0.05 --no-decay
  cell nci1-frac10-gf --runs 10 --train-fraction 0.1
  cell nci1-frac10-gps --runs 10 --train-fraction 0.1 --no-decay
  cell nci1-depth4-gps --runs 10 --no-decay
  cell nci1-depth4-gf --runs 10
}
lane_r() {  # the whole grid again on random splits (one random 80/10/10 split per seed), cheapest cells first
  BASE=(--preset NCI1 --split random_80_10_10)
  cell nci1-rand-frac05-gf --runs 10 --train-fraction 0.05
  cell nci1-rand-frac05-gps --runs 10 --train-fraction 0.05 --no-decay
  cell nci1-rand-frac10-gf --runs 10 --train-fraction 0.1
  cell nci1-rand-frac10-gps --runs 10 --train-fraction 0.1 --no-decay
  cell nci1-rand-depth4-gf --runs 10
  cell nci1-rand-depth4-gps --runs 10 --no-decay
  cell nci1-rand-depth12-gf --runs 5 --layers 12
  cell nci1-rand-depth12-gps --runs 5 --layers 12 --no-decay
  cell nci1-rand-depth24-gf --runs 5 --layers 24
  cell nci1-rand-depth24-gps --runs 5 --layers 24 --no-decay
}
lane_m() {  # ZINC (2000 epochs, ~10 h of one core) and ogbg-molhiv (~6.4 h): seed 0 of each is the shipped run
  BASE=()
  cell molhiv-100-seed1 --preset ogbg-molhiv --runs 1 --seed 1
  cell zinc-2000-seed1 --preset ZINC --runs 1 --seed 1
  cell molhiv-100-seed2 --preset ogbg-molhiv --runs 1 --seed 2
  cell zinc-2000-seed2 --preset ZINC --runs 1 --seed 2
  cell molhiv-100-seed3 --preset ogbg-molhiv --runs 1 --seed 3
  cell molhiv-100-seed4 --preset ogbg-molhiv --runs 1 --seed 4
}
case "${1:-}" in
  a) lane_a ;;
  b) lane_b ;;
  r) lane_r; lane_m ;;
  m) lane_m ;;
  *) lane_a; lane_b; lane_r; lane_m ;;
esac
