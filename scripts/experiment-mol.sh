#!/usr/bin/env bash
# ZINC and ogbg-molhiv with their official presets.
# Usage: scripts/experiment-mol.sh [RUNS] [ZINC_EPOCHS]   (defaults: 10 runs, 2000 epochs = the official budget)
# Extra options via $GF_ARGS (e.g. "--fix-scheduler --threads 2").
set -euo pipefail
cd "$(dirname "$0")/.."
GF=${GF:-"node dist/src/cli/main.js"}
RUNS=${1:-10}
ZINC_EPOCHS=${2:-2000}
$GF experiment --preset ZINC --runs "$RUNS" --epochs "$ZINC_EPOCHS" --out "runs/paper-ZINC-e$ZINC_EPOCHS" ${GF_ARGS:-}
$GF experiment --preset ogbg-molhiv --runs "$RUNS" --out runs/paper-molhiv ${GF_ARGS:-}
