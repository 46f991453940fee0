#!/usr/bin/env node
// Builds the WebAssembly kernels: the C kernels of native/ (the native addon's
// sources in binding.gyp without the Node-API glue, without OpenMP, plus
// native/wasm/*.c) compiled by Debian's clang for wasm32-wasi, twice:
//   dist/wasm/gradformer.wasm          SIMD128 (every engine with wasm SIMD: Safari, Node 16+)
//   dist/wasm/gradformer-relaxed.wasm  SIMD128 + relaxed SIMD: the products' fused
//                                      multiply-add (native/matmul.c), 1.2-1.3x on a
//                                      training step; Chromium 114+ and Node 22+ run it
//                                      (Node 20 with --experimental-wasm-relaxed-simd)
// The loaders (kernels_wasm.ts wasmFileName) take the second where the engine validates it.
// Every `gf_*` function declared in native/gf.h is exported, with malloc/free for the
// JS side's heap arena (src/tensor/kernels_wasm.ts). Needs no network: on Debian/Ubuntu,
//   apt-get install -y clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32
// (the relaxed build is made and tested with clang 16). CLANG=... picks another clang, WASI_SYSROOT
// another sysroot; an argument, another output folder. Both are also copied into
// dist/src/web/, beside the unbundled browser entry that bundlers take.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(root, process.argv[2] || 'dist/wasm');
const clang = process.env.CLANG || 'clang-16';
const sysroot = process.env.WASI_SYSROOT || '/usr';

const native = join(root, 'native');
// The kernels are the native addon's sources (binding.gyp, one list) without its
// Node-API glue (addon.c and the generated native/gen/), plus native/wasm/*.c.
const gyp = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8'));
const kernelSources = gyp.targets.find((t) => t.target_name === 'gradformer').sources
  .filter((s) => s !== 'native/addon.c' && !s.startsWith('native/gen/'));
const sources = [
  ...kernelSources.map((s) => join(root, s)),
  ...readdirSync(join(native, 'wasm')).filter((f) => f.endsWith('.c')).map((f) => join(native, 'wasm', f)),
].sort();
// The export list is gf.h's prototypes, so a kernel added there is exported without a second list.
const header = readFileSync(join(native, 'gf.h'), 'utf8');
const exported = [...new Set([...header.matchAll(/^(?:int|void|double)\s+(gf_\w+)\(/gm)].map((m) => m[1]))];
if (exported.length === 0) throw new Error('build-wasm: no gf_* prototypes found in native/gf.h');

mkdirSync(outDir, { recursive: true });
const VARIANTS = [['gradformer.wasm', []], ['gradformer-relaxed.wasm', ['-mrelaxed-simd']]];
for (const [file, extra] of VARIANTS) {
  const out = join(outDir, file);
  const tmp = `${out}.tmp-${process.pid}`;
  const args = [
    '--target=wasm32-wasi', `--sysroot=${sysroot}`, '-O3', '-msimd128', ...extra, '-std=c11',
    // The native build's floating-point flags (binding.gyp), except contraction: SIMD128
    // has no fused multiply-add, so the compiler fuses no product of the C code in either
    // build ('off' also states it for gatedgcn.c's fwd_scatter, whose GCC-only
    // optimize("fp-contract=off") clang ignores: hence -Wno-unknown-attributes); the relaxed
    // build's only fused products are matmul.c's explicit relaxed_madd.
    '-ffp-contract=off', '-fno-trapping-math', '-fno-math-errno',
    // Without OpenMP the pragmas are ignored and the thread counts they read go unused.
    '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-unknown-pragmas', '-Wno-unused-variable', '-Wno-unknown-attributes',
    '-mexec-model=reactor', '-Wl,--no-entry', '-Wl,--strip-all',
    // Kernels allocate scratch with malloc; the heap grows on demand up to wasm32's 4 GiB.
    '-Wl,--max-memory=4294967296',
    ...['malloc', 'free', ...exported].map((f) => `-Wl,--export=${f}`),
    '-o', tmp, ...sources,
  ];
  try {
    execFileSync(clang, args, { stdio: 'inherit' });
  } catch (e) {
    const missing = e.code === 'ENOENT' || !existsSync(join(sysroot, 'lib', 'wasm32-wasi'));
    console.error(missing
      ? `build-wasm: ${clang} or the wasi sysroot is missing; install them with \`apt-get install -y clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32\` (or set CLANG / WASI_SYSROOT)`
      : `build-wasm: ${clang} failed (see above)${extra.length ? '; the relaxed-SIMD build is made with clang 16 (CLANG=clang-16)' : ''}`);
    process.exit(1);
  }
  renameSync(tmp, out);
  console.log(`build-wasm: ${out} (${readFileSync(out).length} bytes, ${exported.length} kernels)`);
}
// The unbundled browser entry (dist/src/web/index.js: the package's `module` condition, for
// bundlers) loads them from beside itself, as the bundle in dist/web/ does.
if (!process.argv[2]) {
  const web = join(root, 'dist', 'src', 'web');
  mkdirSync(web, { recursive: true });
  for (const [file] of VARIANTS) copyFileSync(join(outDir, file), join(web, file));
}
