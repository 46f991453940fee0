/**
 * The Node side of devices: the cuda device over the CUDA addon (kernels_cuda.ts)
 * and the default device from GRADFORMER_DEVICE, registered with device.ts when
 * this module loads (backend.ts imports it, so every Node entry has them).
 */
import { CudaArray, type HostArray, loadCuda } from './kernels_cuda.js';
import { type Device, type DeviceArray, type DeviceKernels, parseDevice, registerCudaDevice, setDefaultDevice } from './device.js';

/** Uploads of host index arrays, kept as long as the host array lives (a batch). */
const uploads = new WeakMap<HostArray, CudaArray>();

/** Staged arrays by their host memory, so a subarray of one (a batch's edge rows) finds its place on the device. */
const staged = new WeakMap<ArrayBufferLike, { a: HostArray; parent: CudaArray; offset: number }[]>();

/** The device copy of `a` inside a staged array, or undefined. */
function stagedView(a: HostArray): CudaArray | undefined {
  for (const { a: s, parent, offset } of staged.get(a.buffer) ?? []) {
    if (s.constructor !== a.constructor || a.byteOffset < s.byteOffset || a.byteOffset + a.byteLength > s.byteOffset + s.byteLength) continue;
    return CudaArray.view(parent, offset + a.byteOffset - s.byteOffset, a);
  }
  return undefined;
}

// Each array starts at a multiple of 256 bytes in the staged block (aligned loads in every kernel).
const ALIGN = 256;
/** One host buffer the arrays of a batch are packed into before their one upload; it only grows. */
let stagingBuf = new Uint8Array(0);

/**
 * The block staged last and the host arrays whose device views lie in it. It is
 * freed when the next batch is staged: left to the garbage collector, it would live
 * on, since Node runs Node-API finalizers only when the event loop turns, which a
 * synchronous trainer never lets happen (device memory grew by a batch's arrays
 * every step: +0.7 MB an epoch of MUTAG, ~37 MB an epoch of ZINC).
 */
let current: { parent: CudaArray; arrays: HostArray[] } | null = null;

/** Frees the block staged last; its arrays are uploaded again if used again (an evaluation batch, next epoch). */
function releaseStaged(): void {
  if (current === null) return;
  for (const a of current.arrays) { uploads.delete(a); staged.delete(a.buffer); }
  current.parent.free();
  current = null;
}

/** Packs the arrays into the staging buffer, uploads it in one copy and records a view per array. */
function stage(arrays: readonly HostArray[]): void {
  const todo: HostArray[] = [];
  for (const a of arrays) if (a.length > 0 && !uploads.has(a) && !todo.includes(a)) todo.push(a);
  if (todo.length === 0) return;
  // A new batch: the previous one's arrays are done with (a step stages once; forward's own call finds them there).
  releaseStaged();
  todo.length = 0;
  for (const a of arrays) if (a.length > 0 && !uploads.has(a) && !todo.includes(a)) todo.push(a);
  const offs: number[] = [];
  let total = 0;
  for (const a of todo) {
    offs.push(total);
    total += Math.ceil(a.byteLength / ALIGN) * ALIGN;
  }
  if (stagingBuf.length < total) stagingBuf = new Uint8Array(2 ** Math.ceil(Math.log2(total)));
  todo.forEach((a, i) => stagingBuf.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offs[i]));
  // A pageable source: cudaMemcpyAsync has copied it out when the call returns, so the buffer is reusable at once.
  const parent = new CudaArray('f32', total / 4);
  parent.upload(new Float32Array(stagingBuf.buffer, 0, total / 4));
  current = { parent, arrays: [...todo] };
  todo.forEach((a, i) => {
    uploads.set(a, CudaArray.view(parent, offs[i], a));
    const list = staged.get(a.buffer) ?? [];
    list.push({ a, parent, offset: offs[i] });
    staged.set(a.buffer, list);
  });
}

/** Copies the buffers back to back into one (device copies: unary scale by 1 into views), then one download. */
function readAll(K: DeviceKernels, bs: readonly (Float32Array | CudaArray)[]): Float32Array[] {
  const n = bs.reduce((s, b) => s + b.length, 0);
  if (n === 0) return bs.map(() => new Float32Array(0));
  const all = new CudaArray('f32', n);
  const host = new Float32Array(n);
  let o = 0;
  for (const b of bs) {
    if (b.length > 0) K.unary('scale', b, CudaArray.view(all, 4 * o, host.subarray(o, o + b.length)), 1); // 1 * x: x's bits
    o += b.length;
  }
  all.download(host);
  all.free();
  o = 0;
  return bs.map((b) => host.subarray(o, (o += b.length)));
}

/** The CUDA device over the addon (throws one clear sentence without a GPU). */
function makeCudaDevice(): Device {
  const c = loadCuda();
  return {
    name: 'cuda',
    kernels: () => c.kernels as unknown as DeviceKernels,
    // Freed blocks go back to gfc's caching allocator, which reuses them by size class.
    take: (n) => new CudaArray('f32', n),
    give: (b) => { if (b instanceof CudaArray) b.free(); },
    fromHost: (a) => CudaArray.from(a),
    toHost: (b) => (b instanceof CudaArray ? b.toHost() as Float32Array : b as Float32Array),
    readAll: (bs) => readAll(c.kernels as unknown as DeviceKernels, bs as readonly (Float32Array | CudaArray)[]),
    index: (a) => {
      let d = uploads.get(a);
      if (d === undefined) {
        const v = stagedView(a);
        if (v !== undefined) current?.arrays.push(a); // freed with its block
        d = v ?? CudaArray.from(a);
        uploads.set(a, d);
      }
      return d;
    },
    stage,
    array: (kind, n) => new CudaArray(kind, n),
    read: <T extends HostArray>(a: T | DeviceArray) => (a instanceof CudaArray ? a.toHost() as T : a as T),
  };
}

registerCudaDevice(makeCudaDevice);
setDefaultDevice(() => {
  const env = process.env.GRADFORMER_DEVICE;
  return env ? parseDevice(env, 'device: GRADFORMER_DEVICE') : 'cpu';
});
