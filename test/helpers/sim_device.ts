/**
 * A simulated cuda device for the CPU tests of the device code paths (test/device.test.ts):
 * its buffers wrap host arrays but are opaque to the code under test (not
 * Float32Arrays), its kernels are the CPU kernels behind a wrapper that rejects
 * host arrays and freed buffers (what the real CUDA glue rejects), and freeing is
 * immediate, as on CUDA. `uploads` counts host-to-device copies.
 */
import { kernels } from '../../src/tensor/backend.js';
import type { Device, DeviceArray, DeviceKernels, Storage } from '../../src/tensor/device.js';
import type { CudaArray, HostArray } from '../../src/tensor/kernels_cuda.js';
import { KERNEL_NAMES, isArray, kernelDecl } from '../../src/tensor/kernel_table.js';

/** A buffer of the simulated device: host values the code under test must not index. */
class SimArray {
  readonly device = 'cuda' as const;
  freed = false;
  constructor(readonly values: HostArray) {}
  get length(): number { return this.values.length; }
}
const asStorage = (s: SimArray) => s as unknown as CudaArray;
const sim = (s: Storage | unknown): SimArray => {
  if (!(s instanceof SimArray)) throw new Error(`simulated device: expected a device buffer, got ${(s as object)?.constructor?.name}`);
  if (s.freed) throw new Error('simulated device: use of a freed buffer');
  return s;
};

export const counters = { uploads: 0 };

export function simDevice(): Device {
  const cache = new WeakMap<HostArray, SimArray>();
  const cpuK = kernels() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const K: Record<string, unknown> = {};
  for (const name of KERNEL_NAMES) {
    const arrays = new Set(kernelDecl(name).args.flatMap((a, i) => (isArray(a) ? [i] : [])));
    K[name] = (...args: unknown[]) => cpuK[name](...args.map((v, i) => {
      if (!arrays.has(i) || v === null || v === undefined) return v;
      if (ArrayBuffer.isView(v)) throw new Error(`simulated device: ${name} got a host ${v.constructor.name} as argument ${i}`);
      return sim(v).values;
    }));
  }
  return {
    name: 'cuda',
    kernels: () => K as unknown as DeviceKernels,
    take: (n) => asStorage(new SimArray(new Float32Array(n))),
    give: (b) => { sim(b).freed = true; },
    fromHost: (a) => { counters.uploads++; return asStorage(new SimArray(a.slice())); },
    toHost: (b) => sim(b).values.slice() as Float32Array,
    readAll: (bs) => bs.map((b) => sim(b).values.slice() as Float32Array),
    index: (a) => {
      let d = cache.get(a);
      if (!d) { counters.uploads++; d = new SimArray(a.slice()); cache.set(a, d); }
      return asStorage(d);
    },
    stage: (arrays) => { // one copy for every array not there yet, as the cuda device
      const todo = arrays.filter((a) => a.length > 0 && !cache.has(a));
      if (todo.length > 0) counters.uploads++;
      for (const a of todo) cache.set(a, new SimArray(a.slice()));
    },
    array: (kind, n) => asStorage(new SimArray(kind === 'i32' ? new Int32Array(n) : new Float64Array(n))),
    read: <T extends HostArray>(a: T | DeviceArray) => (ArrayBuffer.isView(a) ? a : sim(a).values.slice()) as T,
  };
}

