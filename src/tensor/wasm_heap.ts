/**
 * Arrays that live in the WebAssembly heap of the wasm kernels (the `wasm`
 * device's storage, device_wasm.ts): a kernel gets their address and reads and
 * writes them in place, where a host typed array is copied into the heap and back
 * on every call (kernels_wasm.ts).
 *
 * Memory growth replaces the heap's ArrayBuffer (the old one is detached), so an
 * array holds its address, not a typed-array view: `view()` makes a view over the
 * current buffer (cached until the heap grows). Blocks come from the module's own
 * malloc (wasi-libc's dlmalloc: free lists by size, so the buffers a training step
 * takes and gives back are reused); `free()` hands one back at once, and one that
 * is only dropped is freed when garbage-collected, which happens only when the event
 * loop turns (a FinalizationRegistry's callbacks are tasks): a synchronous loop must
 * free what it makes (staging.ts). `bytesInUse()` counts what is out, for the tests
 * that hold a training loop to that. Nothing here imports Node.
 */
import { ARRAY_KINDS, type ArrayKind } from './kernel_table.js';

/** Host typed arrays, by kind. */
export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

const CTOR: Record<ArrayKind, { new (n: number): HostArray; new (b: ArrayBuffer, off: number, n: number): HostArray; BYTES_PER_ELEMENT: number }> = {
  f32: Float32Array, f64: Float64Array, i32: Int32Array, u8: Uint8Array, u16: Uint16Array, u32: Uint32Array,
};

/** What of the module's exports the heap uses. */
export interface HeapExports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
}

/** The kind of a host typed array ('f32' for a Float32Array, ...). */
export function hostKind(a: HostArray): ArrayKind {
  const name = a.constructor.name;
  const hit = (Object.keys(ARRAY_KINDS) as ArrayKind[]).find((k) => ARRAY_KINDS[k] === name);
  if (!hit) throw new Error(`wasm: no array kind for a ${name}`);
  return hit;
}

/** The heap of one instance of gradformer.wasm: allocation, and the byte view kept current. */
export class WasmHeap {
  private bytes: Uint8Array;
  /** The size of every block `alloc` gave and `release` has not taken back, by address. */
  private readonly sizes = new Map<number, number>();
  private inUse = 0;
  /** Frees the block of an array that was dropped without free(). */
  private readonly finalizer = new FinalizationRegistry<number>((p) => this.release(p));

  constructor(readonly x: HeapExports) {
    this.bytes = new Uint8Array(x.memory.buffer);
  }

  /** The whole heap as bytes (a new view after the memory grew). */
  u8(): Uint8Array {
    if (this.bytes.buffer !== this.x.memory.buffer) this.bytes = new Uint8Array(this.x.memory.buffer);
    return this.bytes;
  }

  /**
   * A 16-byte-aligned block of `bytes` (dlmalloc's alignment on wasm32), or the
   * error `why` (default: what could not be had) with the limits and what to do.
   */
  alloc(bytes: number, why = `wasm: the WebAssembly heap cannot give ${bytes} bytes`): number {
    // Pointers are unsigned: one past 2 GiB comes back from an i32 result as negative.
    const p = bytes >= 2 ** 32 ? 0 : this.x.malloc(Math.max(bytes, 1)) >>> 0;
    if (p === 0) throw new Error(`${why} (one block, at most 2 GiB in wasm32, 4 GiB in all); use smaller batches`);
    this.sizes.set(p, bytes);
    this.inUse += bytes;
    return p;
  }

  /** Hands back a block from `alloc`. */
  release(p: number): void {
    this.inUse -= this.sizes.get(p) ?? 0;
    this.sizes.delete(p);
    this.x.free(p);
  }

  /**
   * Bytes in blocks from `alloc` not yet released: the wasm device's arrays and the
   * kernels' argument arena (what a kernel mallocs for itself it frees before returning).
   */
  bytesInUse(): number { return this.inUse; }

  /** How many blocks from `alloc` are not yet released. */
  blocksInUse(): number { return this.sizes.size; }

  /** @internal WasmArray's bookkeeping of dropped arrays. */
  track(a: WasmArray, p: number): void { this.finalizer.register(a, p, a); }
  /** @internal */
  untrack(a: WasmArray): void { this.finalizer.unregister(a); }
}

/**
 * `length` elements of one kind in a wasm heap (zeroed unless asked not to): a
 * block of its own, or a view into another array's block (`WasmArray.view`).
 */
export class WasmArray {
  readonly device = 'wasm' as const;
  /** The elements' address; 0 once freed (a view: once its parent is freed). */
  ptr: number;
  private cache: HostArray | null = null;
  /** The array whose block this one views; null for a block of its own. */
  readonly parent: WasmArray | null = null;
  /** The views into this array's block, made unusable when it is freed. */
  private views: WasmArray[] | null = null;

  /** A new block of `length` elements; `view` is WasmArray.view's (which checks that it fits). */
  constructor(readonly heap: WasmHeap, readonly kind: ArrayKind, readonly length: number, zero = true,
    view?: { parent: WasmArray; byteOffset: number }) {
    if (view !== undefined) {
      this.parent = view.parent;
      this.ptr = view.parent.ptr + view.byteOffset;
      (view.parent.views ??= []).push(this);
      return;
    }
    const bytes = length * CTOR[kind].BYTES_PER_ELEMENT;
    this.ptr = heap.alloc(bytes, `wasm: the WebAssembly heap cannot give ${bytes} bytes for a ${ARRAY_KINDS[kind]}(${length})`);
    heap.track(this, this.ptr);
    if (zero) this.view().fill(0);
  }

  /**
   * `length` elements of `kind` at `byteOffset` in `parent`'s block, without a block
   * of their own: they go when the parent is freed (a staged batch's arrays, staging.ts).
   */
  static view(parent: WasmArray, byteOffset: number, kind: ArrayKind, length: number): WasmArray {
    if (parent.ptr === 0) throw new Error(`wasm: a view into a freed ${ARRAY_KINDS[parent.kind]}`);
    if (parent.parent !== null) throw new Error('wasm: a view into a view; view its parent');
    const bytes = length * CTOR[kind].BYTES_PER_ELEMENT;
    if (byteOffset < 0 || byteOffset % CTOR[kind].BYTES_PER_ELEMENT !== 0 || byteOffset + bytes > parent.length * CTOR[parent.kind].BYTES_PER_ELEMENT) {
      throw new Error(`wasm: a ${ARRAY_KINDS[kind]}(${length}) at byte ${byteOffset} does not fit in a ${ARRAY_KINDS[parent.kind]}(${parent.length})`);
    }
    return new WasmArray(parent.heap, kind, length, false, { parent, byteOffset });
  }

  /** A heap copy of a host typed array. */
  static from(heap: WasmHeap, a: HostArray): WasmArray {
    const d = new WasmArray(heap, hostKind(a), a.length, false);
    d.upload(a);
    return d;
  }

  /** The elements, as a typed array over the heap: valid until the heap grows (kernels may grow it). */
  view(): HostArray {
    if (this.ptr === 0) throw new Error(`wasm: use of a freed ${ARRAY_KINDS[this.kind]}`);
    const buf = this.heap.u8().buffer;
    if (this.cache === null || this.cache.buffer !== buf) this.cache = new CTOR[this.kind](buf as ArrayBuffer, this.ptr, this.length);
    return this.cache;
  }

  /** Copies `a` (same kind and length) in. */
  upload(a: HostArray): void { this.view().set(a as never); }

  /** The elements as a new host typed array. */
  toHost(): HostArray { return this.view().slice(); }

  /**
   * Hands the block back now, with every view into it; none of them may be used
   * afterwards (they are refused by name). A view's own free() does nothing: its
   * elements go with its parent.
   */
  free(): void {
    if (this.ptr === 0 || this.parent !== null) return;
    for (const v of this.views ?? []) { v.ptr = 0; v.cache = null; }
    this.views = null;
    this.heap.untrack(this);
    this.heap.release(this.ptr);
    this.ptr = 0;
    this.cache = null;
  }
}
