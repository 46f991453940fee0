/**
 * The wasm device: tensors whose storage lives in the heap of the WebAssembly
 * kernels (WasmArray), so every kernel works on them in place. On the cpu device
 * the same kernels copy each array into the heap and back on every call, which
 * cost a third of a training step (docs/WEB.md). Index data (edges, ptr arrays,
 * distances) is copied into the heap once per host array and reused for every
 * layer of a batch; values reach the host only through toHost/item.
 *
 * Imports nothing from Node: `useWasmDevice(kernels)` registers it over an
 * instance of the kernels (useWasmKernels in the browser, kernels_wasm_node.ts in Node).
 */
import { type Device, type DeviceKernels, registerWasmDevice } from './device.js';
import type { WasmKernels } from './kernels_wasm.js';
import { type HostArray, WasmArray } from './wasm_heap.js';

/** The wasm device over one instance of the wasm kernels. */
export function makeWasmDevice(k: WasmKernels): Device {
  const heap = k.heap;
  /** Heap copies of host index arrays, kept as long as the host array lives (a batch). */
  const copies = new WeakMap<HostArray, WasmArray>();
  return {
    name: 'wasm',
    kernels: () => k as unknown as DeviceKernels,
    take: (n, zero = true) => new WasmArray(heap, 'f32', n, zero),
    give: (b) => { if (b instanceof WasmArray) b.free(); },
    fromHost: (a) => WasmArray.from(heap, a),
    toHost: (b) => (b instanceof WasmArray ? b.toHost() as Float32Array : b as Float32Array),
    // Reading the heap is a copy, not a wait for a device: one array at a time is as cheap.
    readAll: (bs) => bs.map((b) => (b instanceof WasmArray ? b.toHost() as Float32Array : b as Float32Array)),
    index: (a) => {
      let d = copies.get(a);
      if (d === undefined) { d = WasmArray.from(heap, a); copies.set(a, d); }
      return d;
    },
    // Each index array is copied into the heap once anyway (`index`); nothing to batch.
    stage: () => {},
    array: (kind, n) => new WasmArray(heap, kind, n),
    read: <T extends HostArray>(a: T | WasmArray | unknown) => (a instanceof WasmArray ? a.toHost() as T : a as T),
  };
}

/** Makes the wasm device (`setDevice('wasm')`) run on these kernels. */
export function useWasmDevice(k: WasmKernels): void {
  registerWasmDevice(() => makeWasmDevice(k));
}
