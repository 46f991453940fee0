/**
 * Where a device keeps the host arrays its kernels read (a batch's features,
 * edges, distances, targets): a batch staged in ONE block, with a view into it per
 * array, and that block handed back when the next batch is staged. Shared by the
 * cuda and the wasm device (device_cuda.ts, device_wasm.ts); nothing here imports Node.
 *
 * Why freed at the next stage and not left to the garbage collector: a dropped
 * device array is given back by a finalizer (Node-API's for CUDA, a
 * FinalizationRegistry for the wasm heap), and both run only when the event loop
 * turns, which a synchronous training loop never lets happen, so the device's
 * memory grew by every batch's arrays (docs/CUDA.md, docs/WEB.md: "Lifetimes").
 */
import type { HostArray } from './wasm_heap.js';

/** What a device does for the staging: make a block, views into it, lone copies; free a block. */
export interface StagingOps<A> {
  /** One new block of `bytes` bytes holding `arrays[i]` at byte `offsets[i]` (copied in). */
  block(arrays: readonly HostArray[], offsets: readonly number[], bytes: number): A;
  /** The device array over the copy of `a` at `byteOffset` in `block` (freed with the block). */
  view(block: A, byteOffset: number, a: HostArray): A;
  /** A device copy of `a` on its own (an array of no staged batch: kept as long as `a` lives). */
  copy(a: HostArray): A;
  /** Hands a block from `block` back. */
  free(block: A): void;
}

/** The device copies of host arrays: the staged batch's views, and lone copies of anything else. */
export class Staging<A> {
  /** Each host array's device copy, kept as long as the host array lives (a batch). */
  private readonly copies = new WeakMap<HostArray, A>();
  /** Staged arrays by their host memory, so a subarray of one (a batch's edge rows) finds its place in the block. */
  private readonly staged = new WeakMap<ArrayBufferLike, { a: HostArray; block: A; offset: number }[]>();
  /** The block staged last and the host arrays whose device views lie in it. */
  private current: { block: A; arrays: HostArray[] } | null = null;

  /** `align`: each array starts at a multiple of this many bytes in a block (aligned loads in every kernel). */
  constructor(private readonly ops: StagingOps<A>, private readonly align: number) {}

  /** The device copy of `a`: a view into the staged block when `a` lies in it, else a copy of its own (made once). */
  index(a: HostArray): A {
    let d = this.copies.get(a);
    if (d === undefined) {
      const v = this.stagedView(a);
      if (v !== undefined) this.current?.arrays.push(a); // forgotten with its block
      d = v ?? this.ops.copy(a);
      this.copies.set(a, d);
    }
    return d;
  }

  /**
   * Puts the arrays not on the device yet into one new block. A new batch: the
   * block staged before is freed first (a step stages once; forward's own call
   * finds its arrays there); its arrays are copied again if used again (an
   * evaluation batch, next epoch).
   */
  stage(arrays: readonly HostArray[]): void {
    if (!arrays.some((a) => a.length > 0 && !this.copies.has(a))) return;
    this.release();
    const todo: HostArray[] = [];
    for (const a of arrays) if (a.length > 0 && !this.copies.has(a) && !todo.includes(a)) todo.push(a);
    const offsets: number[] = [];
    let total = 0;
    for (const a of todo) {
      offsets.push(total);
      total += Math.ceil(a.byteLength / this.align) * this.align;
    }
    const block = this.ops.block(todo, offsets, total);
    this.current = { block, arrays: [...todo] };
    todo.forEach((a, i) => {
      this.copies.set(a, this.ops.view(block, offsets[i], a));
      const list = this.staged.get(a.buffer) ?? [];
      list.push({ a, block, offset: offsets[i] });
      this.staged.set(a.buffer, list);
    });
  }

  /** Frees the block staged last (nothing staged: nothing to do). */
  release(): void {
    if (this.current === null) return;
    for (const a of this.current.arrays) { this.copies.delete(a); this.staged.delete(a.buffer); }
    this.ops.free(this.current.block);
    this.current = null;
  }

  /** The device view of `a` inside a staged array (same type, bytes within it), or undefined. */
  private stagedView(a: HostArray): A | undefined {
    for (const { a: s, block, offset } of this.staged.get(a.buffer) ?? []) {
      if (s.constructor !== a.constructor || a.byteOffset < s.byteOffset || a.byteOffset + a.byteLength > s.byteOffset + s.byteLength) continue;
      return this.ops.view(block, offset + a.byteOffset - s.byteOffset, a);
    }
    return undefined;
  }
}
