/**
 * The native backend: the C kernels of `native/` behind Node-API
 * (build/Release/gradformer.node, built by `npm install` / `npm run install`).
 *
 * Every call is validated once, inside C, by the glue generated from the kernel
 * table (native/gen/napi_kernels.c) before any pointer is dereferenced, with the
 * messages of the TypeScript validator (kernel_checks.ts); test/kernels_native.test.ts
 * checks that both give the same errors, and exercises the raw addon under ASan. (A
 * second, TypeScript pass before each call was dropped for speed: round 10 of
 * docs/PERFORMANCE.md.)
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernels } from './kernels.js';
import { validate } from './kernel_checks.js';

/** The raw addon: same functions as `Kernels` (minus `name`), C-side validation only. */
export type NativeAddon = Omit<Kernels, 'name'>;

const here = dirname(fileURLToPath(import.meta.url));
// src/tensor -> repo root (also dist/src/tensor -> dist/.. when compiled).
const ROOTS = [resolve(here, '..', '..'), resolve(here, '..', '..', '..')];

/** Path of the addon: env GRADFORMER_NATIVE_PATH (e.g. the ASan build) or build/Release/gradformer.node. */
export function nativeAddonPath(): string | null {
  const env = process.env.GRADFORMER_NATIVE_PATH;
  if (env) return resolve(env);
  for (const r of ROOTS) {
    const p = resolve(r, 'build', 'Release', 'gradformer.node');
    if (existsSync(p)) return p;
  }
  return null;
}

let cached: NativeAddon | null | undefined;

/** libgomp's busy-wait length (GOMP_SPINCOUNT) set before the addon loads, unless the user set a policy. */
export const OMP_SPIN_COUNT = 3_000_000;

/**
 * Loads the raw addon (no TypeScript-side validation), or null when it is not built.
 * Throws if GRADFORMER_NATIVE_PATH names a file that cannot be loaded: asking for a
 * specific build and silently getting none would hide a broken setup.
 */
export function loadNativeAddon(): NativeAddon | null {
  if (cached !== undefined) return cached;
  const p = nativeAddonPath();
  if (p === null || !existsSync(p)) {
    if (process.env.GRADFORMER_NATIVE_PATH) {
      throw new Error(`kernels_native: GRADFORMER_NATIVE_PATH=${process.env.GRADFORMER_NATIVE_PATH} does not exist`);
    }
    cached = null;
    return null;
  }
  // Idle OpenMP workers spin a few milliseconds before they sleep (unless the user chose
  // otherwise). A step is hundreds of short parallel regions called back to back from JS:
  // a worker put to sleep between them (OMP_WAIT_POLICY=passive, or libgomp's default
  // 300k spins) costs ~100 us to wake, which ate the whole gain of a second thread; one
  // spinning forever (active) steals the core of other work on a busy machine. Measured on
  // the 2-core machine (docs/PERFORMANCE.md, round 8), NCI1 epoch at 2 threads against 1:
  // passive 0.97x, GOMP_SPINCOUNT=3M 0.74x, active 0.71x idle; busy, 3M no slower than passive.
  // libgomp reads this when the addon loads it, so it must be set before require().
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) {
    process.env.GOMP_SPINCOUNT = String(OMP_SPIN_COUNT);
  }
  const require = createRequire(import.meta.url);
  cached = require(p) as NativeAddon;
  return cached;
}

/** The native `Kernels`, or null when the addon is not built. */
export function loadNativeKernels(): Kernels | null {
  const A = loadNativeAddon();
  if (A === null) return null;
  // Every kernel is the addon's function itself: its C glue (native/gen/napi_kernels.c,
  // generated from the kernel table) makes the same checks with the same messages as
  // the TS validator (test/kernels_native.test.ts calls both), so checking in JS first
  // only added ~0.7 us a call plus a second scan of every index array (~700 calls a
  // ZINC step).
  const K: Record<string, unknown> = { name: 'native' };
  // Every table kernel, the thread calls (both in validate) and the pool's zero-fill.
  for (const name of [...Object.keys(validate), 'zeroFill'] as (keyof NativeAddon)[]) {
    const call = A[name] as (...args: unknown[]) => unknown;
    if (typeof call !== 'function') throw new Error(`kernels_native: the addon at ${nativeAddonPath()} has no '${name}'; rebuild it with npm run install`);
    K[name] = call;
  }
  return K as unknown as Kernels;
}
