/**
 * Loads the WebAssembly kernels in Node (the Node-only half of kernels_wasm.ts):
 * dist/wasm/gradformer-relaxed.wasm where this Node runs relaxed SIMD (every Node
 * from 20: see nodeRunsRelaxedSimd), else dist/wasm/gradformer.wasm, built
 * by `npm run build:wasm`, found next to the sources or the compiled package; or
 * GRADFORMER_WASM_PATH. Synchronous, so the
 * backend can be chosen when the first kernel runs. Registers the wasm device
 * (device_wasm.ts) over the same instance, loaded when first used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { relaxedSimdSupported, wasmFileName, wasmImports, wasmKernels, type WasmKernels } from './kernels_wasm.js';
import { makeWasmDevice } from './device_wasm.js';
import { registerWasmDevice } from './device.js';

const here = dirname(fileURLToPath(import.meta.url));
// src/tensor -> repo root (also dist/src/tensor -> dist/.. when compiled).
const ROOTS = [resolve(here, '..', '..'), resolve(here, '..', '..', '..')];

/**
 * Whether this Node runs relaxed SIMD, turning it on where it is behind a flag: Node 20's
 * V8 (11.3) has it whole behind --experimental-wasm-relaxed-simd, the feature Chromium 114
 * (V8 11.4) shipped on; Node 22+ runs it as is. The flag only makes more modules valid.
 */
export function nodeRunsRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // a V8 without the flag: the SIMD128 build then
  }
  return relaxedSimdSupported();
}

/**
 * Path of the kernels' module: env GRADFORMER_WASM_PATH, or the build of `file` (by
 * default the one this Node runs fastest) in dist/wasm/; null when not built.
 */
export function wasmPath(file = wasmFileName(nodeRunsRelaxedSimd())): string | null {
  const env = process.env.GRADFORMER_WASM_PATH;
  if (env) return resolve(env);
  for (const r of ROOTS) {
    const p = resolve(r, 'dist', 'wasm', file);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Kernels over the module at `path` (a new instance on each call; loadWasmKernels shares one). */
export function loadWasmKernelsFrom(path: string): WasmKernels {
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist; build it with \`npm run build:wasm\` ` +
      '(needs `apt-get install -y clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32`)');
  }
  const module = new WebAssembly.Module(readFileSync(path));
  return wasmKernels(new WebAssembly.Instance(module, wasmImports(module)));
}

let cached: WasmKernels | undefined;

/** The wasm `Kernels` (one instance per process); throws, saying how to build it, when the module is missing. */
export function loadWasmKernels(): WasmKernels {
  if (cached) return cached;
  cached = loadWasmKernelsFrom(wasmPath() ?? `dist/wasm/${wasmFileName(nodeRunsRelaxedSimd())}`);
  return cached;
}

// setDevice('wasm') (--device wasm, GRADFORMER_DEVICE=wasm) loads the module on first use;
// a missing one is a `device:` error, which the CLI prints as its one line.
registerWasmDevice(() => {
  try {
    return makeWasmDevice(loadWasmKernels());
  } catch (e) {
    throw new Error(`device: wasm: ${(e as Error).message}`);
  }
});

