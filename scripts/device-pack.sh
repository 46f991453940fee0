#!/usr/bin/env bash
# Packs what the lent GPU machine lacks for scripts/device-check.sh into .device/ (git-ignored),
# for ONE device run with carry [".device"] (docs/PERFORMANCE.md, "The device check"):
#   node.xz        this machine's Node.js, xz-compressed (the device has none)
#   app.tar.xz     package.json, dist/, data/, build/Release/*.node (CPU and CUDA addons), the
#                  production node_modules without RDKit: the layout of ../shared/device/pack.sh
#   dev.tar.xz     tsx and esbuild (the benchmarks and tests are TypeScript), build/cuda/gfc_test
#   shared/        datasets MUTAG, NCI1, ZINC, the fixtures and the PyTorch reference: ../shared does
#                  not travel, so device-check.sh links ../shared to this
#   on-device.sh   ../shared/device/on-device.sh (unpacks node and app.tar.xz, sets DATA_ROOT)
# pack.sh itself is not called: it appends to .git/info/exclude, which a git worktree lacks (.git is
# a file there). Fails, naming what to do, when a build is missing or the pack exceeds the 64 MiB carry.
#   npm ci && npm run build:cuda && bash scripts/device-pack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
for f in build/Release/gradformer.node build/Release/gradformer_cuda.node build/cuda/gfc_test dist/src/index.js; do
  [ -e "$f" ] || { echo "device-pack: $f is missing: run npm ci (where nvcc is) and npm run build:cuda first"; exit 1; }
done
[ -d "$shared/datasets" ] || { echo "device-pack: $shared/datasets is missing (the datasets to carry)"; exit 1; }
rm -rf .device
mkdir -p .device/shared/datasets
xz -T0 -6 -c "$(command -v node)" > .device/node.xz
deps=$(npm ls --omit=dev --all --parseable 2>/dev/null | sed "s|^$PWD/||" | grep '^node_modules/' | grep -v '@rdkit' || true)
# shellcheck disable=SC2086 # one word per path
tar cJf .device/app.tar.xz package.json dist data build/Release/*.node $deps
tar cJf .device/dev.tar.xz build/cuda/gfc_test node_modules/tsx node_modules/esbuild node_modules/@esbuild
cp "$shared/device/on-device.sh" .device/
for d in MUTAG NCI1 ZINC; do cp -r "$shared/datasets/$d" .device/shared/datasets/; done
cp -r "$shared/fixtures" "$shared/reference" .device/shared/
bytes=$(du -sb .device | cut -f1)
echo "device-pack: .device holds $((bytes / 1048576)) MiB (the carry limit is 64 MiB):"
du -sh .device/* | sed 's/^/  /'
[ "$bytes" -lt $((64 * 1048576)) ] || { echo "device-pack: .device is over the 64 MiB carry limit"; exit 1; }
echo 'device-pack: device run: carry [".device"], command: bash scripts/device-check.sh'
