// Finite-difference checks of every backward kernel, for the TS kernels and,
// when its addon is built, the native kernels (same checks, test/helpers/fd_kernels.ts).
import { test } from 'node:test';
import type { Kernels } from '../src/tensor/kernels.js';
import { tsKernels } from '../src/tensor/kernels_ts.js';
import { checkKernelGrads } from './helpers/fd_kernels.js';

checkKernelGrads(tsKernels);

// The native backend is optional (no compiler -> no addon): skip, don't fail.
let native: Kernels | null = null;
let why = 'loadNativeKernels() returned null';
try {
  const path = '../src/tensor/kernels_native.js'; // a variable: the module may not exist yet
  const mod = (await import(path)) as { loadNativeKernels?: () => Kernels | null };
  native = mod.loadNativeKernels ? mod.loadNativeKernels() : null;
  if (!mod.loadNativeKernels) why = 'kernels_native.ts exports no loadNativeKernels';
} catch (e) {
  why = `cannot import kernels_native.ts: ${(e as Error).message.split('\n')[0]}`;
}
if (native) checkKernelGrads(native);
else test('finite-difference gradients, native kernels', (t) => { t.skip(`native addon not built (${why})`); });
