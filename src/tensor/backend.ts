/**
 * The active kernel backend in Node. `GRADFORMER_BACKEND=native|wasm|ts` picks it
 * (default native); when native is asked for but the addon is not built, one warning line
 * goes to stderr and the TypeScript backend is used instead (never a crash).
 * `GRADFORMER_THREADS=n` sets the initial thread count of the native backend (default 1).
 * The active kernels themselves live in active.ts, which the browser build uses alone.
 */
import type { Kernels } from './kernels.js';
import { tsKernels } from './kernels_ts.js';
import { loadNativeKernels } from './kernels_native.js';
import { loadWasmKernels } from './kernels_wasm_node.js';
import { kernels, setDefaultKernels, useKernels } from './active.js';
// Registers the cuda device and the GRADFORMER_DEVICE default with device.ts: every
// Node entry loads this module, the browser entry never does.
import './device_cuda.js';

export { kernels, useKernels };

/**
 * The CPU kernel backends: 'native' (the C addon), 'wasm' (the same C built as
 * WebAssembly) and 'ts' (TypeScript, the reference and the fallback).
 */
export type BackendName = 'native' | 'wasm' | 'ts';

let warned = false;

function select(name: string): Kernels {
  checkThreadsEnv(process.env.GRADFORMER_THREADS); // every way in (env, --backend, setBackend) checks it
  if (name === 'ts') return tsKernels;
  // Asked for by name, so a missing module is an error, not a fallback; the `backend:` prefix
  // marks it as the user's setting to fix (one error line in the CLI), as `device: wasm:` does.
  if (name === 'wasm') {
    try {
      return loadWasmKernels();
    } catch (e) {
      throw new Error(`backend: wasm: ${(e as Error).message}`);
    }
  }
  if (name !== 'native') {
    throw new Error(`backend: unknown backend '${name}', expected 'native', 'wasm' or 'ts' (GRADFORMER_BACKEND or setBackend)`);
  }
  let k: Kernels | null = null;
  let why = 'build/Release/gradformer.node missing';
  try {
    k = loadNativeKernels();
  } catch (e) {
    // A present but unloadable addon (wrong ABI, bad GRADFORMER_NATIVE_PATH): still never crash.
    why = (e as Error).message.split('\n')[0];
  }
  if (k !== null) return k;
  if (!warned) {
    warned = true;
    process.stderr.write(`gradformer: native kernels unavailable (${why}); ` +
      'using the slower TypeScript backend. To build them, install python3, make and a C compiler, then run `npm rebuild gradformer` ' +
      '(in a gradformer checkout: `npm run install`).\n');
  }
  return tsKernels;
}

setDefaultKernels(() => select(process.env.GRADFORMER_BACKEND || 'native'));

/** The native side would ignore a malformed GRADFORMER_THREADS and use one thread; say so instead. */
function checkThreadsEnv(v: string | undefined): void {
  if (v === undefined || v === '') return;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 4096) {
    throw new Error(`backend: GRADFORMER_THREADS='${v}' is not a thread count; set a whole number from 1 to 4096, or unset it for one thread`);
  }
}

/** Switches backend ('native' falls back to 'ts' with a warning when the addon is missing). */
export function setBackend(name: BackendName): Kernels {
  const k = select(name);
  useKernels(k);
  return k;
}

/** Sets how many threads the parallel kernels of the active backend use. */
export function setThreads(n: number): void { kernels().setThreads(n); }
/** Threads the parallel kernels of the active backend use (>= 1). */
export function getThreads(): number { return kernels().getThreads(); }
