#!/usr/bin/env bash
# The package as `npm publish` would ship it, installed into an empty app outside this
# repository (no ../shared, no repo files): it must build its native kernels on install,
# train the bundled MUTAG, predict with a shipped model, and carry the web page and the
# WebAssembly kernels. CI runs it after the tests (~3 min: npm fetches the dependencies,
# node-gyp and nvcc build the addons).
#   bash scripts/check-package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/gf-package-XXXXXX)
trap 'rm -rf "$T"' EXIT
npm pack --pack-destination "$T" > "$T/pack.log" 2>&1 || { tail -20 "$T/pack.log"; exit 1; }  # prepack builds wasm + page
tgz=$(ls "$T"/gradformer-*.tgz)
listing=$(tar -tzf "$tgz")
for f in dist/src/cli/main.js dist/wasm/gradformer.wasm dist/wasm/gradformer-relaxed.wasm dist/src/web/gradformer-relaxed.wasm dist/web/page/index.html models/ZINC/config.json data/MUTAG/MUTAG_A.txt binding.gyp; do
  grep -qx "package/$f" <<< "$listing" || { echo "check-package: $f is not in the package"; exit 1; }
done
mkdir "$T/app" && cd "$T/app"
echo '{"name":"app","version":"1.0.0","private":true}' > package.json
if ! npm install --prefer-offline --no-audit --no-fund "$tgz" > "$T/install.log" 2>&1; then
  tail -30 "$T/install.log"; echo "check-package: npm install of the packed package failed"; exit 1
fi
test -f node_modules/gradformer/build/Release/gradformer.node || { echo "check-package: install built no native addon"; exit 1; }
export GRADFORMER_HOME="$T/home"
out=$(npx gradformer train --epochs 2 --out "$T/run" 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -q '^MUTAG: best epoch' || { echo "$out"; echo "check-package: train printed no result"; exit 1; }
pred=$(npx gradformer predict --model ZINC --smiles CCO --format csv 2>&1) || { echo "$pred"; exit 1; }
echo "$pred" | grep -q '^CCO,-\?[0-9]' || { echo "$pred"; echo "check-package: predict printed no row"; exit 1; }
echo "check-package: OK ($(du -h "$tgz" | cut -f1) package; installed in an empty app, trained MUTAG 2 epochs, predicted CCO with the shipped ZINC model)"
