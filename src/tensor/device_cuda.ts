/**
 * The Node side of devices: the cuda device over the CUDA addon (kernels_cuda.ts)
 * and the default device from GRADFORMER_DEVICE, registered with device.ts when
 * this module loads (backend.ts imports it, so every Node entry has them).
 */
import { CudaArray, type HostArray, loadCuda } from './kernels_cuda.js';
import { type Device, type DeviceArray, type DeviceKernels, parseDevice, registerCudaDevice, setDefaultDevice } from './device.js';
import { Staging } from './staging.js';

// Each array starts at a multiple of 256 bytes in the staged block (aligned loads in every kernel).
const ALIGN = 256;
/** One host buffer the arrays of a batch are packed into before their one upload; it only grows. */
let stagingBuf = new Uint8Array(0);

/**
 * Uploads of host arrays: a batch staged in one block (packed on the host, uploaded
 * in one copy), freed when the next batch is staged (staging.ts says why: on cuda,
 * device memory grew by a batch's arrays every step, +0.7 MB an epoch of MUTAG,
 * ~37 MB an epoch of ZINC); anything else uploaded once per host array.
 */
const uploads = new Staging<CudaArray>({
  block: (arrays, offsets, bytes) => {
    if (stagingBuf.length < bytes) stagingBuf = new Uint8Array(2 ** Math.ceil(Math.log2(bytes)));
    arrays.forEach((a, i) => stagingBuf.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offsets[i]));
    // A pageable source: cudaMemcpyAsync has copied it out when the call returns, so the buffer is reusable at once.
    const block = new CudaArray('f32', bytes / 4);
    block.upload(new Float32Array(stagingBuf.buffer, 0, bytes / 4));
    return block;
  },
  view: (block, byteOffset, a) => CudaArray.view(block, byteOffset, a),
  copy: (a) => CudaArray.from(a),
  free: (block) => block.free(),
}, ALIGN);

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
    index: (a) => uploads.index(a),
    stage: (arrays) => uploads.stage(arrays),
    array: (kind, n) => new CudaArray(kind, n),
    read: <T extends HostArray>(a: T | DeviceArray) => (a instanceof CudaArray ? a.toHost() as T : a as T),
  };
}

registerCudaDevice(makeCudaDevice);
setDefaultDevice(() => {
  const env = process.env.GRADFORMER_DEVICE;
  return env ? parseDevice(env, 'device: GRADFORMER_DEVICE') : 'cpu';
});
