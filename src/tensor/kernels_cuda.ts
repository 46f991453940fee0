/**
 * The CUDA backend's binding: the addon build/Release/gradformer_cuda.node
 * (scripts/build-cuda-addon.js; glue generated from the kernel table), device
 * buffers (`CudaArray`), and every kernel of the table on them.
 *
 * Each kernel call is checked twice from the same table: here by the table's
 * interpreter (kernel_checks.ts, with the device-buffer adapter) and in C by the
 * generated glue, before the gfc_* kernel of native/cuda/gfc.h runs. (The CPU
 * addon keeps only its C checks: kernels_native.ts.)
 * Index data (ptr arrays, edges, targets, distances) is checked on the host
 * through a mirror kept at upload, so a check never waits for the device.
 *
 * A missing addon, driver or GPU is one clear error from `loadCuda()`, never a crash.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernels, TableKernels } from './kernels.js';
import { type ArrayAdapter, makeValidators, typeName } from './kernel_checks.js';
import { ARRAY_KINDS, KERNEL_NAMES, type ArrayKind, type KernelName, isArray, kernelDecl } from './kernel_table.js';

/** Host typed arrays the kernels take, by kind. */
export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/** The raw addon: the runtime of gfc.h and every kernel of the table (C-side checks only). */
interface CudaAddon {
  init(device: number): string | null;
  alloc(buf: CudaArray, kind: ArrayKind, length: number): void;
  view(buf: CudaArray, parent: CudaArray, byteOffset: number, host: HostArray): void;
  free(buf: CudaArray): void;
  upload(buf: CudaArray, host: HostArray): void;
  download(buf: CudaArray, host: HostArray): void;
  copy(dst: CudaArray, src: CudaArray): void;
  zero(buf: CudaArray): void;
  sync(): void;
  bytesInUse(): number;
  peakBytes(): number;
  resetPeak(): void;
  setTf32(on: boolean): void;
  transfers(): Transfers;
  resetTransfers(): void;
}

/**
 * Host <-> device traffic counted by the runtime (native/cuda/runtime.cu): host-to-device
 * copies, device-to-host reads (each waits for the device: a download or a kernel that
 * returns a number, like a loss) and explicit syncs, with their bytes.
 */
export interface Transfers { uploads: number; uploadBytes: number; reads: number; readBytes: number; syncs: number }

const CTOR: Record<ArrayKind, new (n: number) => HostArray> = {
  f32: Float32Array, f64: Float64Array, i32: Int32Array, u8: Uint8Array, u16: Uint16Array, u32: Uint32Array,
};

let addon: CudaAddon | null = null;

function cuda(): CudaAddon {
  if (addon === null) throw new Error('cuda: not initialised; call loadCuda() first');
  return addon;
}

/**
 * `length` elements of one kind in device memory (zeroed at creation). Freed when
 * garbage-collected, or at once with `free()`. Index data keeps a host copy from
 * its upload (`host`) for the argument checks; kernels that write a buffer drop it.
 */
export class CudaArray {
  readonly device = 'cuda' as const;
  /** Host copy of the contents, when known without a download (index data after upload). */
  host: HostArray | null = null;
  /** The buffer whose memory this one views (`CudaArray.view`), kept alive by this reference; null for an own block. */
  readonly parent: CudaArray | null = null;

  constructor(readonly kind: ArrayKind, readonly length: number, view?: { parent: CudaArray; byteOffset: number; host: HostArray }) {
    if (view === undefined) {
      cuda().alloc(this, kind, length);
      return;
    }
    cuda().view(this, view.parent, view.byteOffset, view.host);
    this.parent = view.parent;
    this.host = kind === 'f32' || kind === 'f64' ? null : view.host.slice();
  }

  /**
   * A buffer holding `host`'s values that lies at `byteOffset` inside `parent`, whose
   * memory already holds them (a staged batch: many arrays uploaded in one copy).
   */
  static view(parent: CudaArray, byteOffset: number, host: HostArray): CudaArray {
    return new CudaArray(kindOf(host), host.length, { parent, byteOffset, host });
  }

  /** A device copy of a host typed array. */
  static from(a: HostArray): CudaArray {
    const kind = kindOf(a);
    const d = new CudaArray(kind, a.length);
    d.upload(a);
    return d;
  }

  /** Copies `a` (same kind and length) into this buffer. */
  upload(a: HostArray): void {
    cuda().upload(this, a);
    this.host = this.kind === 'f32' || this.kind === 'f64' ? null : a.slice();
  }

  /** The contents as a new host typed array (waits for the device). */
  toHost(): HostArray {
    const a = new CTOR[this.kind](this.length);
    cuda().download(this, a);
    return a;
  }

  /** Downloads into `a` (same kind and length). */
  download(a: HostArray): void {
    cuda().download(this, a);
  }

  /** Releases the device memory now; the buffer must not be used afterwards. A view frees nothing (its parent owns the memory). */
  free(): void {
    if (this.parent !== null) return;
    cuda().free(this);
    this.host = null;
  }
}

/** The kind of a host typed array ('f32' for a Float32Array, ...). */
export function kindOf(a: HostArray): ArrayKind {
  const name = a.constructor.name;
  const hit = (Object.keys(ARRAY_KINDS) as ArrayKind[]).find((k) => ARRAY_KINDS[k] === name);
  if (!hit) throw new Error(`cuda: no device kind for a ${name}`);
  return hit;
}

/** Device buffers, as the table's checks see them. */
const CUDA_ARRAYS: ArrayAdapter = {
  test: (kind) => (v) => v instanceof CudaArray && v.kind === kind,
  expected: (kind) => `cuda ${ARRAY_KINDS[kind]}`,
  describe: (v) => v instanceof CudaArray ? `a cuda ${ARRAY_KINDS[v.kind]}` : typeName(v),
  host: (v) => {
    const d = v as CudaArray;
    if (d.host === null) d.host = d.toHost(); // written by the device since: read it once
    return d.host;
  },
};

/** A kernel's parameters with every host array replaced by a device buffer. */
type OnDevice<P> = { [I in keyof P]: P[I] extends ArrayBufferView ? CudaArray : P[I] extends ArrayBufferView | null ? CudaArray | null : P[I] };

/** Every kernel of the table, on device buffers. Results (losses) come back as numbers. */
export type CudaKernels = { [K in KernelName]: (...args: OnDevice<Parameters<Kernels[K]>>) => ReturnType<Kernels[K]> };

/** The loaded CUDA backend: kernels, device memory figures and synchronisation. */
export interface Cuda {
  kernels: CudaKernels;
  /** Waits for every queued kernel. */
  sync(): void;
  /** Device bytes held by live buffers, and the peak since the last resetPeak(). */
  bytesInUse(): number;
  peakBytes(): number;
  resetPeak(): void;
  /** TF32 tensor-core GEMMs (off by default: fp32, as the fixtures demand). */
  setTf32(on: boolean): void;
  /** Host <-> device traffic since the last resetTransfers() (cheap counters; tests and bench:gpu read them). */
  transfers(): Transfers;
  resetTransfers(): void;
}

const here = dirname(fileURLToPath(import.meta.url));
const ROOTS = [resolve(here, '..', '..'), resolve(here, '..', '..', '..')];

/** Path of the CUDA addon: env GRADFORMER_CUDA_PATH, else build/Release/gradformer_cuda.node. */
export function cudaAddonPath(): string | null {
  const env = process.env.GRADFORMER_CUDA_PATH;
  if (env) return resolve(env);
  for (const r of ROOTS) {
    const p = resolve(r, 'build', 'Release', 'gradformer_cuda.node');
    if (existsSync(p)) return p;
  }
  return null;
}

let loaded: Cuda | null = null;

/**
 * Loads the addon and initialises GPU `device` (default 0). Throws one clear
 * sentence when the addon is not built or no usable GPU/driver is present.
 */
export function loadCuda(device = 0): Cuda {
  if (loaded !== null) return loaded;
  const p = cudaAddonPath();
  if (p === null || !existsSync(p)) {
    throw new Error(`no CUDA device: the CUDA addon is not built (${p ?? 'build/Release/gradformer_cuda.node'} missing); ` +
      'install the CUDA toolkit (nvcc 13) and run `node scripts/build-cuda-addon.js`');
  }
  let a: CudaAddon;
  try {
    a = createRequire(import.meta.url)(p) as CudaAddon;
  } catch (e) {
    throw new Error(`no CUDA device: cannot load ${p}: ${(e as Error).message.split('\n')[0]}`);
  }
  const why = a.init(device);
  if (why !== null) throw new Error(why.startsWith('no CUDA device') ? why : `no CUDA device: ${why}`);
  addon = a;
  loaded = {
    kernels: wrapKernels(a),
    sync: () => a.sync(),
    bytesInUse: () => a.bytesInUse(),
    peakBytes: () => a.peakBytes(),
    resetPeak: () => a.resetPeak(),
    setTf32: (on) => a.setTf32(on),
    transfers: () => a.transfers(),
    resetTransfers: () => a.resetTransfers(),
  };
  return loaded;
}

/** Why CUDA cannot be used here, or null when it can (for tests that skip by name). */
export function cudaUnavailable(): string | null {
  try {
    loadCuda();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Each kernel: the table's checks on device buffers, the C glue, then stale mirrors dropped. */
function wrapKernels(a: CudaAddon): CudaKernels {
  const validate = makeValidators(CUDA_ARRAYS) as unknown as Record<string, (...args: unknown[]) => void>;
  const raw = a as unknown as Record<string, (...args: unknown[]) => unknown>;
  const K: Record<string, unknown> = {};
  for (const name of KERNEL_NAMES) {
    const check = validate[name], call = raw[name];
    if (typeof call !== 'function') throw new Error(`cuda: the addon at ${cudaAddonPath()} has no '${name}'; rebuild it`);
    const written = kernelDecl(name).args.flatMap((x, i) => (isArray(x) && x.io !== 'in' ? [i] : []));
    K[name] = (...args: unknown[]) => {
      check(...args);
      const r = call(...args);
      for (const i of written) { const d = args[i]; if (d instanceof CudaArray) d.host = null; }
      return r;
    };
  }
  return K as CudaKernels;
}

/**
 * The CUDA kernels behind the host `Kernels` interface: each call uploads its
 * arrays, runs on the device and downloads what the kernel wrote. For comparing
 * the CUDA kernels with the CPU ones on the same inputs (test/cuda.test.ts); far
 * too slow for training, which keeps tensors on the device.
 */
export function cudaKernelsOnHost(c: Cuda): TableKernels {
  const K: Record<string, unknown> = {};
  for (const name of KERNEL_NAMES) {
    const d = kernelDecl(name);
    const call = c.kernels[name] as unknown as (...args: unknown[]) => unknown;
    K[name] = (...args: unknown[]) => {
      const dev = args.map((v) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? CudaArray.from(v as HostArray) : v));
      const r = call(...dev);
      d.args.forEach((x, i) => {
        if (isArray(x) && x.io !== 'in' && dev[i] instanceof CudaArray) (dev[i] as CudaArray).download(args[i] as HostArray);
      });
      for (const v of dev) if (v instanceof CudaArray) v.free();
      return r;
    };
  }
  return K as unknown as TableKernels;
}
