#!/usr/bin/env bash
# Kernel tests against an AddressSanitizer + UBSan build of the native addon.
#
# Builds native/*.c into build-asan/ (a generated copy of binding.gyp with
# -fsanitize=address,undefined and without target_clones: ifunc resolvers run
# before the ASan runtime is up), then runs the native-vs-ts, finite-difference
# and bad-input tests with that addon (GRADFORMER_NATIVE_PATH) and the sanitizer
# runtimes preloaded into the (uninstrumented) node. Any sanitizer report fails.
# Called by `npm test` (scripts/run-tests.js) unless GRADFORMER_SKIP_ASAN=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="$ROOT/build-asan"
LOG="$OUT/test.log"

fail() { echo "test-asan: $*" >&2; exit 1; }

command -v gcc >/dev/null || fail "gcc not found (needed for the sanitizer runtimes)"
LIBASAN=$(gcc -print-file-name=libasan.so)
LIBUBSAN=$(gcc -print-file-name=libubsan.so)
[ -f "$LIBASAN" ] || fail "libasan.so not found (gcc -print-file-name=libasan.so gave '$LIBASAN'); install libasan for your gcc"
[ -f "$LIBUBSAN" ] || fail "libubsan.so not found; install libubsan for your gcc"

# node-gyp: the one npm runs scripts with, else the one bundled with npm.
NODE_GYP=${npm_config_node_gyp:-}
if [ -z "$NODE_GYP" ]; then
  NPM_ROOT=$(npm root -g 2>/dev/null || true)
  for c in "$NPM_ROOT/npm/node_modules/node-gyp/bin/node-gyp.js" \
           "$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"; do
    [ -f "$c" ] && NODE_GYP=$c && break
  done
fi
[ -n "$NODE_GYP" ] || fail "node-gyp not found (run via npm, or install node-gyp)"
# Offline-friendly: reuse the headers npm is configured with (npm_config_nodedir / `npm config get nodedir`).
NODEDIR=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
GYP_ARGS=()
if [ -n "$NODEDIR" ] && [ "$NODEDIR" != "undefined" ] && [ "$NODEDIR" != "null" ]; then GYP_ARGS+=("--nodedir=$NODEDIR"); fi

mkdir -p "$OUT"
# binding.gyp with sources relative to build-asan/ and sanitizer flags.
node -e '
const fs = require("fs");
const gyp = eval("(" + fs.readFileSync("binding.gyp", "utf8") + ")");
const t = gyp.targets[0];
t.sources = t.sources.map((s) => "../" + s);
const san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined", "-g", "-DGF_NO_CLONES"];
t.cflags = t.cflags.filter((f) => f !== "-O3").concat(["-O1"], san);
t["cflags!"] = ["-O2", "-O3"];
t.ldflags = (t.ldflags || []).concat(["-fsanitize=address,undefined"]);
fs.writeFileSync(process.argv[1], JSON.stringify(gyp, null, 2));
' "$OUT/binding.gyp"

echo "test-asan: building the ASan/UBSan addon into build-asan/ ..."
if ! (cd "$OUT" && node "$NODE_GYP" rebuild "${GYP_ARGS[@]}" >"$OUT/build.log" 2>&1); then
  tail -30 "$OUT/build.log" >&2
  fail "building the sanitizer addon failed (full log: build-asan/build.log)"
fi
ADDON="$OUT/build/Release/gradformer.node"
[ -f "$ADDON" ] || fail "build produced no $ADDON"

echo "test-asan: running the kernel, fused-op and model-fixture tests under ASan/UBSan ..."
# node --test swallows a crashed child's stderr: sanitizer reports go to files instead.
rm -f "$OUT"/sanitizer.*
set +e
GRADFORMER_NATIVE_PATH="$ADDON" GRADFORMER_BACKEND=native \
LD_PRELOAD="$LIBASAN $LIBUBSAN" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:exitcode=86:halt_on_error=1:log_path=$OUT/sanitizer.asan" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87:log_path=$OUT/sanitizer.ubsan" \
  node --import tsx --test --test-concurrency=2 --test-reporter=dot \
    test/kernels_native.test.ts test/kernels_fd.test.ts test/kernels_random.test.ts test/ops_gine.test.ts test/ops_gatedgcn.test.ts \
    test/ops_decay.test.ts test/ops_grad.test.ts test/model_fixtures.test.ts >"$LOG" 2>&1
rc=$?
set -e
REPORTS=$(ls "$OUT"/sanitizer.* 2>/dev/null || true)
if [ -n "$REPORTS" ] || grep -qE "ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer" "$LOG"; then
  for f in $REPORTS; do head -40 "$f" >&2; done
  grep -m1 -B2 -A30 -E "ERROR: AddressSanitizer|runtime error:|SUMMARY: " "$LOG" >&2 || true
  fail "sanitizer report (build-asan/sanitizer.*, test log build-asan/test.log)"
fi
if [ $rc -ne 0 ]; then
  tail -40 "$LOG" >&2
  fail "kernel tests failed under ASan/UBSan, exit $rc (full log: build-asan/test.log)"
fi
echo "test-asan: OK (no sanitizer reports; kernel tests pass on the ASan/UBSan addon)"
