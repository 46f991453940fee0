#!/usr/bin/env node
// Builds the browser entry gradformer/web (src/web/index.ts) with esbuild into
// dist/web/ (or the folder given): index.js (ESM, minified) and the chunks it
// imports on demand (with source maps), meta.json (esbuild's metafile: every
// input and import, read by test/web_bundle.test.ts) and the kernels' two builds
// (gradformer.wasm, gradformer-relaxed.wasm: src/tensor/kernels_wasm.ts), copied from dist/wasm/ (`npm run build:wasm` first); and, in page/, the page that
// `gradformer web` serves (scripts/build-page.js). The folder is replaced whole, atomically.
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPage } from './build-page.js';
import { bundleForBrowser } from './bundle-browser.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(root, process.argv[2] || 'dist/web');
const wasmDir = join(root, 'dist', 'wasm');
const WASM = ['gradformer.wasm', 'gradformer-relaxed.wasm'];
for (const f of WASM) {
  if (!existsSync(join(wasmDir, f))) {
    console.error(`build-web: ${join(wasmDir, f)} is missing; build it first with \`npm run build:wasm\``);
    process.exit(1);
  }
}

const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
await bundleForBrowser({
  entryPoints: [join(root, 'src', 'web', 'index.ts')],
  outdir: tmp,
  // What is imported on demand (LapPE and its eigen-solver, ml-matrix) goes in its
  // own chunk, fetched only when used: the page loads less to predict.
  chunkNames: '[name]-[hash]',
});
for (const f of WASM) copyFileSync(join(wasmDir, f), join(tmp, f));
await buildPage(root, join(tmp, 'page'), WASM.map((f) => join(wasmDir, f)));
const old = `${out}.old-${process.pid}`;
if (existsSync(out)) renameSync(out, old);
renameSync(tmp, out);
rmSync(old, { recursive: true, force: true });
console.log(`build-web: ${out}`);
