/**
 * Devices: where a tensor's storage lives and where the ops on it run.
 *
 * `cpu` keeps a tensor's values in a host Float32Array and runs the active CPU
 * kernels (native C or TypeScript, backend.ts). `cuda` keeps them in device
 * memory (CudaArray, kernels_cuda.ts) and runs the CUDA kernels. `wasm` keeps them
 * in the heap of the WebAssembly kernels (WasmArray, wasm_heap.ts), which then
 * work on them in place instead of copying every array in and out per call. The tape and the
 * ops never touch raw memory: they ask the device of their inputs for buffers and
 * kernels, so they run unchanged on either. Index data (edges, ptr arrays,
 * targets, distances) is handed to ops as host typed arrays; a device copies each
 * array once (`index`, cached per array) and reuses it for every layer of a batch;
 * `stage` puts all of a batch's arrays there in one copy.
 *
 * Nothing here imports Node: the cpu device runs the active kernels (active.ts),
 * and the cuda device, which needs the CUDA addon, is registered by the Node side
 * (device_cuda.ts, loaded by backend.ts), as is the default from GRADFORMER_DEVICE.
 * The wasm device is registered by whoever loads the wasm kernels (device_wasm.ts:
 * kernels_wasm_node.ts in Node, useWasmKernels in the browser build, which has no cuda).
 */
import type { Kernels } from './kernels.js';
import type { KernelName } from './kernel_table.js';
import { kernels as cpuKernels } from './active.js';
import type { CudaArray, HostArray } from './kernels_cuda.js';
import type { WasmArray } from './wasm_heap.js';

/**
 * Where a tensor's storage lives: 'cpu' (host Float32Arrays, the active CPU kernels),
 * 'cuda' (GPU memory, the CUDA addon) or 'wasm' (the WebAssembly kernels' heap).
 */
export type DeviceName = 'cpu' | 'cuda' | 'wasm';
export const DEVICE_NAMES: readonly DeviceName[] = ['cpu', 'cuda', 'wasm'];

/** An array a device's kernels work on that the host cannot index. */
export type DeviceArray = CudaArray | WasmArray;
/** A float buffer on some device: a host Float32Array (cpu), device memory (cuda) or the wasm heap. */
export type Storage = Float32Array | DeviceArray;
/** Any array a kernel takes, on some device. */
export type Buf = HostArray | DeviceArray;

type OnAnyDevice<P> = { [I in keyof P]: P[I] extends ArrayBufferView ? Buf : P[I] extends ArrayBufferView | null ? Buf | null
  : P[I] extends ArrayBufferView | null | undefined ? Buf | null | undefined : P[I] };
/** The kernels of a device, on its own buffers (kernels.ts documents each). */
export type DeviceKernels = { [K in KernelName]: (...args: OnAnyDevice<Parameters<Kernels[K]>>) => ReturnType<Kernels[K]> };

/**
 * A device: its buffers and the kernels that run on them. Ops take both from their
 * inputs' device, so the tape, modules and optimisers run unchanged on every device;
 * getDevice(name) returns one and throws when it is not available.
 */
export interface Device {
  /** Which device this is. */
  readonly name: DeviceName;
  /** The kernels that run on this device's buffers. */
  kernels(): DeviceKernels;
  /** n floats (zeroed unless `zero` is false): op outputs, gradients, temporaries. */
  take(n: number, zero?: boolean): Storage;
  /** Hands back a buffer from `take` that nothing references any more. */
  give(b: Storage): void;
  /** A buffer of this device holding `a` (on cpu: `a` itself). */
  fromHost(a: Float32Array): Storage;
  /** The values of a buffer of this device, on the host (on cpu: the buffer itself). */
  toHost(b: Storage): Float32Array;
  /**
   * The values of many buffers, on the host, in ONE transfer (on cpu: the buffers
   * themselves): evaluation reads a split's outputs once, not once per batch.
   */
  readAll(bs: readonly Storage[]): Float32Array[];
  /** Index data (or any host array) as this device's kernels take it: uploaded once per array. */
  index<T extends HostArray>(a: T): T | DeviceArray;
  /**
   * Puts the arrays of a batch on this device in ONE transfer, so that `index` of each
   * (or of a subarray of one) then uploads nothing. A no-op on cpu and for arrays
   * already there.
   */
  stage(arrays: readonly HostArray[]): void;
  /** A new zeroed array of another element type (argmax rows, float64 sums). */
  array(kind: 'i32' | 'f64', n: number): Int32Array | Float64Array | DeviceArray;
  /** `a`'s values as a host array (on cpu: `a` itself). */
  read<T extends HostArray>(a: T | DeviceArray): T;
}

/**
 * Zeroes a host buffer the host pool hands out: with the native kernels' threads where
 * they are active (each thread zeroes the rows it works on; docs/PERFORMANCE.md, round
 * 18), else fill(0).
 */
export function zeroHost(a: Float32Array): Float32Array {
  const k = cpuKernels();
  if (k.zeroFill !== undefined) k.zeroFill(a);
  else a.fill(0);
  return a;
}

/** The process-wide pool of host float buffers (tensor.ts), injected to avoid an import cycle. */
export interface HostPool { take(n: number): Float32Array; takeRaw(n: number): Float32Array; give(a: Float32Array): void }
let hostPool: HostPool | null = null;
/** Called once by tensor.ts with its scratch pool. */
export function useHostPool(p: HostPool): void { hostPool = p; }

const cpu: Device = {
  name: 'cpu',
  kernels: () => cpuKernels() as unknown as DeviceKernels,
  take: (n, zero = true) => (zero ? (hostPool as HostPool).take(n) : (hostPool as HostPool).takeRaw(n)),
  give: (b) => (hostPool as HostPool).give(b as Float32Array),
  fromHost: (a) => a,
  toHost: (b) => b as Float32Array,
  readAll: (bs) => bs as Float32Array[],
  index: (a) => a,
  stage: () => {},
  array: (kind, n) => (kind === 'i32' ? new Int32Array(n) : new Float64Array(n)),
  read: <T extends HostArray>(a: T | DeviceArray) => a as T,
};

let cudaDevice: Device | null = null;
let makeCuda: (() => Device) | null = null;

/** Registers how the cuda device is made (device_cuda.ts, in Node); it is made on first use. */
export function registerCudaDevice(make: () => Device): void {
  makeCuda = make;
}

/** The CUDA device (made on first use; throws one clear sentence without a GPU). */
function cuda(): Device {
  if (cudaDevice !== null) return cudaDevice;
  if (makeCuda === null) throw new Error('device: cuda is not available in this build (no CUDA addon: the browser entry has the cpu device only)');
  cudaDevice = makeCuda();
  return cudaDevice;
}

let wasmDevice: Device | null = null;
let makeWasm: (() => Device) | null = null;

/** Registers how the wasm device is made (device_wasm.ts), replacing any made before; it is made on first use. */
export function registerWasmDevice(make: () => Device): void {
  makeWasm = make;
  wasmDevice = null;
}

function wasm(): Device {
  if (wasmDevice !== null) return wasmDevice;
  if (makeWasm === null) throw new Error('device: wasm needs the WebAssembly kernels loaded first (useWasmKernels() in the browser)');
  wasmDevice = makeWasm();
  return wasmDevice;
}

/** The device called `name` ('cuda' and 'wasm' are initialised on first use). */
export function getDevice(name: DeviceName): Device {
  if (name === 'cpu') return cpu;
  if (name === 'cuda') return cuda();
  if (name === 'wasm') return wasm();
  throw new Error(`device: unknown device '${String(name)}', expected cpu, cuda or wasm`);
}

/** The device a storage lives on (a device buffer names its device). */
export function deviceOfStorage(s: Storage): Device {
  return s instanceof Float32Array ? cpu : getDevice(s.device);
}

/**
 * Installs another implementation of the cuda device (null restores the real one):
 * for tests of the device code paths on a machine without a GPU, with buffers
 * that are not host Float32Arrays, as CUDA's are not.
 */
export function installCudaDevice(d: Device | null): void {
  cudaDevice = d;
}

let defaultDevice: DeviceName | null = null;

/**
 * The device new models and batches go to (`--device`, GRADFORMER_DEVICE or this
 * call; default cpu). Checks that the device is usable now: asking for cuda without
 * a GPU throws the one-sentence reason here, before any work starts.
 */
export function setDevice(name: DeviceName): Device {
  const d = getDevice(name);
  defaultDevice = name;
  return d;
}

let chooseDefault: () => DeviceName = () => 'cpu';

/** Sets how the default device is chosen when setDevice was not called (device_cuda.ts: GRADFORMER_DEVICE). */
export function setDefaultDevice(choose: () => DeviceName): void {
  chooseDefault = choose;
}

/** The current default device's name: set by setDevice, else the registered default (Node: GRADFORMER_DEVICE), else cpu. */
export function currentDevice(): DeviceName {
  if (defaultDevice === null) defaultDevice = chooseDefault();
  return defaultDevice;
}

/** Parses a device name from an option or GRADFORMER_DEVICE, naming where it came from on error. */
export function parseDevice(v: string, where: string): DeviceName {
  if ((DEVICE_NAMES as readonly string[]).includes(v)) return v as DeviceName;
  throw new Error(`${where}: unknown device '${v}', expected cpu, cuda or wasm (or unset it for cpu)`);
}
