/**
 * The active kernel backend in Node. `GRADFORMER_BACKEND=native|wasm|ts` picks it
 * (default native); when native is asked for but the addon is not built, one warning line
 * goes to stderr and the TypeScript backend is used instead (never a crash).
 * `GRADFORMER_THREADS=n|auto` sets the initial thread setting of the native backend (default
 * auto: training runs, `eval` and `predict` choose among 1..cores by timing their steps or
 * batches, thread_tuner.ts; other work runs on one thread).
 * The active kernels themselves live in active.ts, which the browser build uses alone.
 */
import { availableParallelism } from 'node:os';
import type { Kernels } from './kernels.js';
import { tsKernels } from './kernels_ts.js';
import { loadNativeKernels } from './kernels_native.js';
import { loadWasmKernels } from './kernels_wasm_node.js';
import { kernels, setDefaultKernels, useKernels } from './active.js';
import { currentDevice } from './device.js';
import { ThreadTuner, type TunerOptions } from './thread_tuner.js';
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
  if (v === undefined || v === '' || v === 'auto') return;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 4096) {
    throw new Error(`backend: GRADFORMER_THREADS='${v}' is not a thread count; set a whole number from 1 to 4096, or auto (the default: training chooses)`);
  }
}

/** Switches backend ('native' falls back to 'ts' with a warning when the addon is missing). */
export function setBackend(name: BackendName): Kernels {
  const k = select(name);
  useKernels(k);
  return k;
}

/**
 * A thread setting: a fixed count for the parallel kernels, or 'auto': a training run times its
 * steps on 1 to `availableParallelism()` threads and keeps the fastest (ThreadTuner), as
 * `predict()` does over its batches when given a tuner (`gradformer eval` and `predict`); other
 * work runs on one thread.
 */
export type ThreadSetting = number | 'auto';

// null: a fixed count (kernels().getThreads()); else the most threads 'auto' may use.
let autoMax: number | null = /^\d+$/.test(process.env.GRADFORMER_THREADS ?? '') ? null : availableParallelism();

/** Sets the threads of the parallel kernels of the active backend: a count, or 'auto' (see ThreadSetting). */
export function setThreads(n: ThreadSetting): void {
  if (n === 'auto') {
    autoMax = availableParallelism();
    kernels().setThreads(1);
    return;
  }
  kernels().setThreads(n);
  autoMax = null;
}

/** The setting: 'auto', or the fixed count. */
export function threadSetting(): ThreadSetting { return autoMax === null ? kernels().getThreads() : 'auto'; }

/**
 * The tuner a training run uses under 'auto', or null where there is nothing to choose: a fixed
 * count, one core, kernels that run on one thread anyway (ts, wasm) or a device other than cpu.
 */
export function autoThreadTuner(opts: Partial<TunerOptions> = {}): ThreadTuner | null {
  if (autoMax === null || autoMax < 2 || kernels().name !== 'native' || currentDevice() !== 'cpu') return null;
  return new ThreadTuner(autoMax, (n) => kernels().setThreads(n), opts);
}
/** Threads the parallel kernels of the active backend use (>= 1). */
export function getThreads(): number { return kernels().getThreads(); }
