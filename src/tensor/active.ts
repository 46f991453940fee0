/**
 * The kernels every op runs on, without any Node dependency: the isomorphic
 * half of backend.ts. In a browser the TypeScript kernels run until
 * `useKernels` installs others (src/web/index.ts: `useWasmKernels`); in Node,
 * backend.ts installs the choice of GRADFORMER_BACKEND (native by default)
 * when it is imported, which every Node entry (src/index.ts, the CLI, the trainer) does.
 */
import type { Kernels } from './kernels.js';
import { tsKernels } from './kernels_ts.js';

let active: Kernels | null = null;
let chooseDefault: () => Kernels = () => tsKernels;

/** The kernels every op runs on (chosen on the first call when none were installed). */
export function kernels(): Kernels {
  if (active === null) active = chooseDefault();
  return active;
}

/**
 * Installs a given Kernels object (e.g. the wasm backend, or the timing wrapper
 * of profile.ts). It must implement the interface exactly; nothing is checked.
 */
export function useKernels(k: Kernels): void {
  active = k;
}

/** Sets how the first `kernels()` call chooses when nothing was installed (backend.ts: from the environment). */
export function setDefaultKernels(choose: () => Kernels): void {
  chooseDefault = choose;
}
