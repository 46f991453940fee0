/**
 * Loads the WebAssembly kernels in Node (the Node-only half of kernels_wasm.ts):
 * dist/wasm/gradformer.wasm, built by `npm run build:wasm`, found next to the
 * sources or the compiled package, or GRADFORMER_WASM_PATH. Synchronous, so the
 * backend can be chosen when the first kernel runs. Registers the wasm device
 * (device_wasm.ts) over the same instance, loaded when first used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmImports, wasmKernels, type WasmKernels } from './kernels_wasm.js';
import { makeWasmDevice } from './device_wasm.js';
import { registerWasmDevice } from './device.js';

const here = dirname(fileURLToPath(import.meta.url));
// src/tensor -> repo root (also dist/src/tensor -> dist/.. when compiled).
const ROOTS = [resolve(here, '..', '..'), resolve(here, '..', '..', '..')];

/** Path of gradformer.wasm: env GRADFORMER_WASM_PATH, or dist/wasm/gradformer.wasm; null when not built. */
export function wasmPath(): string | null {
  const env = process.env.GRADFORMER_WASM_PATH;
  if (env) return resolve(env);
  for (const r of ROOTS) {
    const p = resolve(r, 'dist', 'wasm', 'gradformer.wasm');
    if (existsSync(p)) return p;
  }
  return null;
}

let cached: WasmKernels | undefined;

/** The wasm `Kernels` (one instance per process); throws, saying how to build it, when the module is missing. */
export function loadWasmKernels(): WasmKernels {
  if (cached) return cached;
  const p = wasmPath();
  if (p === null || !existsSync(p)) {
    throw new Error(`${p ?? 'dist/wasm/gradformer.wasm'} does not exist; build it with \`npm run build:wasm\` ` +
      '(needs `apt-get install -y clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32`)');
  }
  const module = new WebAssembly.Module(readFileSync(p));
  cached = wasmKernels(new WebAssembly.Instance(module, wasmImports(module)));
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

