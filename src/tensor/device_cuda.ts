/**
 * The Node side of devices: the cuda device over the CUDA addon (kernels_cuda.ts)
 * and the default device from GRADFORMER_DEVICE, registered with device.ts when
 * this module loads (backend.ts imports it, so every Node entry has them).
 */
import { CudaArray, type HostArray, loadCuda } from './kernels_cuda.js';
import { type Device, type DeviceArray, type DeviceKernels, parseDevice, registerCudaDevice, setDefaultDevice } from './device.js';

/** Uploads of host index arrays, kept as long as the host array lives (a batch). */
const uploads = new WeakMap<HostArray, CudaArray>();

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
    index: (a) => {
      let d = uploads.get(a);
      if (d === undefined) { d = CudaArray.from(a); uploads.set(a, d); }
      return d;
    },
    array: (kind, n) => new CudaArray(kind, n),
    read: <T extends HostArray>(a: T | DeviceArray) => (a instanceof CudaArray ? a.toHost() as T : a as T),
  };
}

registerCudaDevice(makeCudaDevice);
setDefaultDevice(() => {
  const env = process.env.GRADFORMER_DEVICE;
  return env ? parseDevice(env, 'device: GRADFORMER_DEVICE') : 'cpu';
});
