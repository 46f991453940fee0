#!/usr/bin/env bash
# The paper protocol on the TU datasets: 10 seeds with the official random
# 80/10/10 split, and separately the stratified 10-fold protocol.
# Usage: scripts/experiment-tu.sh [DATASET ...]   (default: MUTAG PROTEINS NCI1)
# Extra options via $GF_ARGS, e.g. GF_ARGS="--epochs 50 --threads 2".
set -euo pipefail
cd "$(dirname "$0")/.."
GF=${GF:-"node dist/src/cli/main.js"}
for ds in "${@:-MUTAG PROTEINS NCI1}"; do
  for d in $ds; do
    $GF experiment --preset "$d" --runs 10 --protocol seeds --out "runs/paper-$d-seeds" ${GF_ARGS:-}
    $GF experiment --preset "$d" --runs 10 --protocol kfold --out "runs/paper-$d-kfold" ${GF_ARGS:-}
  done
done
