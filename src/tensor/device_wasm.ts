/**
 * The wasm device: tensors whose storage lives in the heap of the WebAssembly
 * kernels (WasmArray), so every kernel works on them in place. On the cpu device
 * the same kernels copy each array into the heap and back on every call, which
 * cost a third of a training step (docs/WEB.md). A batch's arrays (features, edges,
 * distances, targets) are staged in one block of the heap, read in place by every
 * layer, and freed when the next batch is staged (staging.ts: left to the garbage
 * collector, they piled up in any loop that never yields); other index data is
 * copied once per host array. Values reach the host only through toHost/item.
 *
 * Imports nothing from Node: `useWasmDevice(kernels)` registers it over an
 * instance of the kernels (useWasmKernels in the browser, kernels_wasm_node.ts in Node).
 */
import { type Device, type DeviceKernels, registerWasmDevice } from './device.js';
import type { WasmKernels } from './kernels_wasm.js';
import { Staging } from './staging.js';
import { type HostArray, hostKind, WasmArray } from './wasm_heap.js';

// Each array starts at a multiple of 16 bytes in a staged block (SIMD128 loads, float64 data), as in the kernels' arena.
const ALIGN = 16;

/** The wasm device over one instance of the wasm kernels. */
export function makeWasmDevice(k: WasmKernels): Device {
  const heap = k.heap;
  const copies = new Staging<WasmArray>({
    block: (arrays, offsets, bytes) => {
      const block = new WasmArray(heap, 'u8', bytes, false);
      const h = heap.u8();
      arrays.forEach((a, i) => h.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), block.ptr + offsets[i]));
      return block;
    },
    view: (block, byteOffset, a) => WasmArray.view(block, byteOffset, hostKind(a), a.length),
    copy: (a) => WasmArray.from(heap, a),
    free: (block) => block.free(),
  }, ALIGN);
  return {
    name: 'wasm',
    kernels: () => k as unknown as DeviceKernels,
    take: (n, zero = true) => new WasmArray(heap, 'f32', n, zero),
    give: (b) => { if (b instanceof WasmArray) b.free(); },
    fromHost: (a) => WasmArray.from(heap, a),
    toHost: (b) => (b instanceof WasmArray ? b.toHost() as Float32Array : b as Float32Array),
    // Reading the heap is a copy, not a wait for a device: one array at a time is as cheap.
    readAll: (bs) => bs.map((b) => (b instanceof WasmArray ? b.toHost() as Float32Array : b as Float32Array)),
    index: (a) => copies.index(a),
    stage: (arrays) => copies.stage(arrays),
    array: (kind, n) => new WasmArray(heap, kind, n),
    read: <T extends HostArray>(a: T | WasmArray | unknown) => (a instanceof WasmArray ? a.toHost() as T : a as T),
  };
}

/** Makes the wasm device (`setDevice('wasm')`) run on these kernels. */
export function useWasmDevice(k: WasmKernels): void {
  registerWasmDevice(() => makeWasmDevice(k));
}
