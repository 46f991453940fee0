/**
 * Tensor and the define-by-run autograd tape.
 *
 * A Tensor is a float32 array with a shape (row-major), stored on a device
 * (device.ts): a host Float32Array on cpu, device memory on cuda. An op that runs while
 * gradients are enabled and that has at least one input requiring a gradient
 * records a closure (`backwardFn`) on its output; `backward()` sorts the graph
 * that leads to a scalar topologically and runs those closures in reverse, each
 * ADDING into its inputs' `grad`. That is the whole tape (micrograd-style).
 */

import { type Device, type Storage, deviceOfStorage, getDevice, useHostPool, zeroHost, type DeviceName } from './device.js';
import type { CudaArray } from './kernels_cuda.js';

let gradEnabled = true;

/** Run `fn` with gradient recording off (evaluation); restores the previous mode. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * What `data` is for a tensor on a device: reading it is a mistake (the values
 * live in device memory), so every use throws, naming the way out.
 */
const onDevice = (s: Exclude<Storage, Float32Array>): Float32Array => ON_DEVICE[s.device];
const deviceData = (device: string) => new Proxy(new Float32Array(0), {
  get() { throw new Error(`Tensor: its data lives on the ${device} device; read it with toHost() or item()`); },
}) as Float32Array;
const ON_DEVICE = { cuda: deviceData('cuda'), wasm: deviceData('wasm') };

/**
 * A float32 array with a shape (row-major: `[rows, cols]`, any rank, `[]` for a
 * scalar) on a device, and its node on the autograd tape: an op (`ops`) run while
 * gradients are enabled on an input that requires one records its backward on the
 * output, and `backward()` from a scalar adds d(scalar)/d(leaf) into every such
 * leaf's `grad`. The constructor throws when `data.length` is not the product of
 * `shape`.
 */
export class Tensor {
  // Assigned only here, in moveTo() (parameters and buffers changing device) and in packInto().
  /** The values on the tensor's device (the same array as `data` on cpu). */
  storage: Storage;
  /** The values as a host Float32Array: only on cpu (on cuda use toHost()). */
  data: Float32Array;
  /** The device that holds `storage` (cpu, cuda or wasm); `moveTo` changes it. */
  device: Device;
  /** Dimensions, row-major; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Gradient buffer on the tensor's device (see `grad`), allocated on demand. */
  private g: Storage | null = null;
  /** Whether `backward()` computes this tensor's gradient: set on parameters, and by ops on outputs of such inputs. */
  requiresGrad: boolean;
  /** Inputs this tensor was computed from (only kept while it requires a gradient). */
  parents: readonly Tensor[] = [];
  /** Pushes this tensor's `grad` into its parents' `grad`. */
  backwardFn: (() => void) | null = null;
  /** Optional label for error messages and debugging. */
  name = '';
  /**
   * Whether `data` is an op output from the scratch pool (`Tensor.output`). It goes
   * back to the pool once the tape that made it is done (end of `backward()`) or
   * when the no-grad `scoped()` region that made it is released.
   */
  pooled = false;
  /**
   * Counts the writes made from the host (setValues, moveTo). Kernels never write a
   * buffer, so a module may keep a fixed buffer's host value while this is unchanged
   * (GIN's eps) instead of reading it back from the device every step.
   */
  hostVersion = 0;
  /** The value of a 1-element tensor that the host already knows (a loss its kernel returned): item() reads no device. */
  hostScalar: number | null = null;
  /**
   * A fixed host array the gradient lives in instead of a pool buffer per backward
   * (a cpu parameter packed into an optimiser's flat buffers: `packInto`), or null.
   */
  private gradHome: Float32Array | null = null;

  /** Wraps `data` (not a copy) as a tensor of `shape` on the device `data` belongs to. */
  constructor(data: Storage, shape: readonly number[], requiresGrad = false) {
    if (numel(shape) !== data.length) {
      throw new Error(`Tensor: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${numel(shape)}`);
    }
    this.storage = data;
    this.data = data instanceof Float32Array ? data : onDevice(data);
    this.device = deviceOfStorage(data);
    this.shape = shape;
    this.requiresGrad = requiresGrad;
  }

  /** A zero-filled tensor of `shape` on `device` (default cpu). */
  static zeros(shape: readonly number[], requiresGrad = false, device: DeviceName = 'cpu'): Tensor {
    const n = numel(shape);
    return new Tensor(device === 'cpu' ? new Float32Array(n) : getDevice(device).fromHost(new Float32Array(n)), shape, requiresGrad);
  }

  /**
   * An op's output buffer from the scratch pool (zeroed unless `zero` is false, for
   * kernels that write every element). Recycled after the `backward()` that consumes
   * it, or at the end of a `scoped()` no-grad region: callers that keep an op output
   * past those points copy it (`detach()`).
   */
  static output(shape: readonly number[], zero = true, device?: Device): Tensor {
    const n = numel(shape);
    const data = device === undefined || device.name === 'cpu' ? (zero ? scratch.take(n) : scratch.takeRaw(n)) : device.take(n, zero);
    const t = new Tensor(data, shape);
    t.pooled = true;
    if (scope !== null) scope.push(data);
    return t;
  }

  /** A cpu tensor holding a float32 copy of `values`; `shape` defaults to `[values.length]` (throws when the counts differ). */
  static from(values: ArrayLike<number>, shape?: readonly number[], requiresGrad = false): Tensor {
    return new Tensor(Float32Array.from(values), shape ?? [values.length], requiresGrad);
  }

  /** A cpu scalar (shape `[]`) holding `v`. */
  static scalar(v: number, requiresGrad = false): Tensor {
    return new Tensor(Float32Array.of(v), [], requiresGrad);
  }

  /** Number of elements: the product of the shape. */
  get size(): number {
    return this.storage.length;
  }

  /** Leading dimension (1 for a scalar). */
  get rows(): number {
    return this.shape.length === 0 ? 1 : this.shape[0];
  }

  /** Product of all but the leading dimension. */
  get cols(): number {
    return this.shape.length <= 1 ? 1 : numel(this.shape.slice(1));
  }

  /**
   * Gradient of the last backward() (same length as `data`), or null. A host array on
   * cpu (as `data`); on cuda the values stay on the device (`gradStorage`).
   */
  get grad(): Float32Array | null {
    const g = this.g;
    return g === null ? null : g instanceof Float32Array ? g : onDevice(g);
  }
  set grad(v: Storage | null) {
    this.g = v;
  }
  /** The gradient on the tensor's device, or null. */
  get gradStorage(): Storage | null {
    return this.g;
  }

  /** The gradient buffer, allocated (zeros) on the tensor's device on first use. */
  gradBuffer(): Storage {
    if (this.g === null) {
      const h = this.gradHome;
      if (h !== null) this.g = h.fill(0);
      else this.g = this.device.name === 'cpu' ? scratch.take(this.storage.length) : this.device.take(this.storage.length);
    }
    return this.g;
  }

  /**
   * For a kernel that can either overwrite or accumulate (matmul): the gradient
   * buffer and whether to accumulate into it. A first contribution gets an
   * uninitialised buffer to overwrite (`accumulate` false), which skips zero-filling
   * a buffer only to add into it: overwriting gives the values accumulating into
   * zeros would (up to the sign of a zero).
   */
  gradTarget(): { buf: Storage; accumulate: boolean } {
    if (this.g !== null) return { buf: this.g, accumulate: true };
    const n = this.storage.length;
    this.g = this.gradHome ?? (this.device.name === 'cpu' ? scratch.takeRaw(n) : this.device.take(n, false));
    return { buf: this.g, accumulate: false };
  }

  /**
   * Gives this tensor's gradient buffer to `input` as its gradient when `input` has
   * none yet; returns whether it did. Its first contribution would be `0 + g`, which
   * is g (up to the sign of a zero), so the zero-filled buffer and the add pass are
   * skipped. Only for a backward closure of this tensor (the tape drops this gradient
   * once the closure returns) that would otherwise add g unchanged into `input`.
   */
  passGrad(input: Tensor): boolean {
    const g = this.g;
    if (g === null || !input.requiresGrad || input.g !== null || input.device !== this.device || input.storage.length !== g.length) return false;
    input.g = g;
    this.g = null;
    return true;
  }

  /** The single value, read on the host (waits for the device). */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements, expected 1`);
    if (this.hostScalar !== null) return this.hostScalar;
    return this.storage instanceof Float32Array ? this.storage[0] : this.device.toHost(this.storage)[0];
  }

  /** The values on the host: `data` itself on cpu, a downloaded copy on cuda. */
  toHost(): Float32Array {
    return this.device.toHost(this.storage);
  }

  /**
   * Moves this tensor's values to another device in place (parameters and buffers:
   * modules keep references to their tensors). Not for tensors on a tape.
   */
  moveTo(device: DeviceName): void {
    if (device === this.device.name) return;
    if (this.backwardFn !== null) throw new Error('moveTo: the tensor is on a tape; move the leaves before the forward');
    const host = this.toHost();
    this.clearGrad();
    this.gradHome = null; // a view into a cpu optimiser's flat buffer (packInto), not for another device
    this.hostVersion++;
    this.storage = device === 'cpu' ? host : getDevice(device).fromHost(host);
    this.data = this.storage instanceof Float32Array ? this.storage : onDevice(this.storage);
    this.device = getDevice(device);
  }

  /** Overwrites the values (same count) from the host, whatever the device (loading weights). */
  setValues(values: ArrayLike<number>): void {
    if (values.length !== this.size) throw new Error(`setValues: ${values.length} values for a tensor of ${this.size}`);
    this.hostVersion++;
    if (this.storage instanceof Float32Array) this.storage.set(values);
    else this.storage.upload(Float32Array.from(values));
  }

  /** This tensor on another device (itself when already there), outside the tape. */
  to(device: DeviceName): Tensor {
    if (device === this.device.name) return this;
    const host = this.toHost();
    return new Tensor(device === 'cpu' ? host : getDevice(device).fromHost(host), this.shape, this.requiresGrad);
  }

  /** Same data seen with another shape (no copy); gradients flow through. */
  reshape(shape: readonly number[]): Tensor {
    const out = new Tensor(this.storage, shape);
    return record(out, [this], () => addInto(this.gradBuffer(), out.g!, this.device));
  }

  /**
   * Hands this op output back to the scratch pool now. For outputs nothing will
   * read again that no tape will recycle: made under `noGrad` for a side effect
   * (GatedGCN's edge BatchNorm, run for its running statistics) and never consumed.
   * Left to the garbage collector they cost molhiv ~9 MB of fresh zeroed memory
   * per batch. A no-op for tensors on a tape (backward() recycles those), inside a
   * `scoped()` region (its release() does) and for non-pool data. Do not read the
   * tensor afterwards.
   */
  release(): void {
    if (!this.pooled || this.backwardFn !== null || scope !== null) return;
    this.pooled = false;
    giveBack(this.storage);
  }

  /**
   * Drops the gradient (PyTorch `zero_grad(set_to_none=True)` for one tensor). Its
   * array goes back to the scratch pool, where the next backward takes it again
   * (zeroed): dropped instead, ~80 parameter gradients a step became fresh arrays and
   * GC work. Copy a gradient you want to keep before calling this.
   */
  clearGrad(): void {
    if (this.g !== null && this.g !== this.gradHome) giveBack(this.g);
    this.g = null;
  }

  /**
   * Moves this cpu leaf's values into `values` and makes `grad` the home of its
   * gradient. Both are views of the same length into an optimiser's flat buffers
   * (optim.ts): a backward then writes the gradient there instead of into a pool
   * buffer, so one kernel call can update many parameters. The values are unchanged;
   * the current gradient is dropped. Throws for a tensor on a tape or not on cpu.
   */
  packInto(values: Float32Array, grad: Float32Array): void {
    if (!(this.storage instanceof Float32Array) || this.backwardFn !== null) throw new Error('packInto: only for cpu leaf tensors (parameters)');
    if (values.length !== this.size || grad.length !== this.size) throw new Error(`packInto: views of ${values.length} and ${grad.length} values for a tensor of ${this.size}`);
    values.set(this.storage);
    this.clearGrad();
    this.storage = values;
    this.data = values;
    this.gradHome = grad;
  }

  /** A new tensor holding a copy of the data (on the same device), outside the tape. */
  detach(): Tensor {
    if (this.storage instanceof Float32Array) return new Tensor(this.storage.slice(), this.shape);
    return new Tensor(this.device.fromHost(this.toHost()), this.shape);
  }

  /**
   * Back-propagates from this scalar: d(this)/d(leaf) is ADDED to every leaf's
   * grad that requires one. Intermediate gradients and the tape are released, and
   * so are the DATA buffers of the op outputs on the tape (they go back to the
   * scratch pool and the next forward reuses them): read what you need (the loss,
   * the model output) before the next forward, or copy it with `detach()`.
   */
  backward(): void {
    if (this.size !== 1) {
      throw new Error(`backward: needs a scalar, got shape [${this.shape.join(', ')}]`);
    }
    if (!this.requiresGrad) throw new Error('backward: the output does not depend on any tensor that requires a gradient');
    const order = topoOrder(this);
    const seed = this.gradBuffer();
    if (seed instanceof Float32Array) seed[0] += 1;
    else this.device.kernels().unary('add_scalar', seed, seed, 1);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      if (t.backwardFn !== null && t.g !== null) {
        t.backwardFn();
        // Every consumer of t ran before it (reverse topological order) and its own
        // closure has now pushed t.grad into its parents: the buffer is dead, and the
        // next op's gradBuffer() of the same size reuses it (no allocation, no GC),
        // unless the closure handed it to a parent (passGrad).
        if (t.g !== null) giveBack(t.g);
        t.g = null;
      }
    }
    // Free the tape: intermediate results keep neither closures nor gradients, and
    // their pooled data goes back to the pool. Allocating (and page-faulting in) fresh
    // zeroed arrays for every op output, then collecting them, cost ZINC ~2 s of a
    // 5.3 s epoch outside the kernels. Values stay readable until the next forward
    // takes the buffers (the trainer reads the loss before backward).
    for (const t of order) {
      if (t.backwardFn !== null) {
        t.backwardFn = null;
        t.parents = [];
        t.g = null;
        if (t.pooled) {
          t.pooled = false;
          giveBack(t.storage);
        }
      }
    }
  }
}

/**
 * A pool of zero-on-take Float32Arrays, for buffers whose lifetime the tape knows
 * exactly (op outputs, intermediate gradients, backward temporaries). Allocating
 * and collecting a fresh zero-filled array per op cost more than the kernels that
 * use it (~0.1-0.25 ms for 200k floats against ~0.02 ms for fill(0)), and the GC
 * it drives cost more still. Buffers are kept by size class (4 classes per power of
 * two, so at most 19% slack) and handed out as a view of the requested length:
 * batches differ in node and edge counts, and an exact-length pool missed on almost
 * every op (ZINC: ~1.8 s of a 3.7 s epoch in allocation and GC). Bounded, so it
 * never holds more than `maxBytes`: 512 MB, because a molhiv training step plus its
 * evaluation batches keep ~270 MB in flight, and at 256 MB the pool dropped what
 * came back and allocated afresh (564 arrays in two 640-graph epochs, 12 at 512 MB,
 * peak RSS unchanged at ~700 MB).
 */
export class ScratchPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Buffers this pool allocated (only those may come back: never a view into foreign memory). */
  private readonly owned = new WeakSet<ArrayBufferLike>();
  private bytes = 0;
  private allocated = 0;
  constructor(private readonly maxBytes = 512 * 1024 * 1024) {}
  /** Capacity (floats) of the size class that holds n floats (n >= MIN_POOLED). */
  static classOf(n: number): number {
    const e = 31 - Math.clz32(n - 1); // 2^e < n <= 2^(e+1) for n >= 2
    const q = 1 << (e - 2);           // quarter steps between 2^e and 2^(e+1)
    return Math.ceil(n / q) * q;
  }
  /** A zeroed array of n floats (recycled when one of its size class is free). */
  take(n: number): Float32Array {
    return zeroHost(this.takeRaw(n));
  }
  /** As `take`, but a recycled array keeps its old values (for outputs a kernel overwrites). */
  takeRaw(n: number): Float32Array {
    if (n < MIN_POOLED) return new Float32Array(n);
    const cap = ScratchPool.classOf(n);
    // Its own class, else one of the next classes up (at most ~2x the request): batch
    // sizes wander, and without the fallback the pool filled with idle buffers of
    // classes the last batches had used (ZINC: 197 MB pooled for a ~70 MB step).
    let full: Float32Array | undefined;
    for (let c = cap, i = 0; i <= FALLBACK_CLASSES && full === undefined; i++, c = ScratchPool.classOf(c + 1)) {
      full = this.free.get(c)?.pop();
    }
    if (full === undefined) {
      // A fresh one is zeroed already; allocate the whole class so it can be pooled.
      this.allocated++;
      const fresh = new Float32Array(cap);
      this.owned.add(fresh.buffer);
      return fresh.subarray(0, n);
    }
    this.bytes -= full.byteLength;
    return full.length === n ? full : full.subarray(0, n);
  }
  /**
   * Hands back an array from `take`/`takeRaw` that nobody references any more (the
   * caller must drop it). Arrays this pool did not allocate are ignored.
   */
  give(a: Float32Array): void {
    if (a.length < MIN_POOLED || a.byteOffset !== 0) return; // small ones: cheaper to allocate
    const cap = a.buffer.byteLength >> 2;
    if (!this.owned.has(a.buffer) || this.bytes + a.buffer.byteLength > this.maxBytes) return;
    const full = cap === a.length ? a : new Float32Array(a.buffer);
    let list = this.free.get(cap);
    if (!list) this.free.set(cap, (list = []));
    list.push(full);
    this.bytes += full.byteLength;
  }
  /** Drops every pooled array. */
  clear(): void { this.free.clear(); this.bytes = 0; }
  get pooledBytes(): number { return this.bytes; }
  /** How many arrays the pool has allocated (misses): flat once training is in a steady state. */
  get allocations(): number { return this.allocated; }
}

/** Arrays shorter than this are not pooled (V8 allocates them cheaply). */
const MIN_POOLED = 1024;
/** How many size classes above its own a request may borrow from (4 = one power of two). */
const FALLBACK_CLASSES = 4;

/** The process-wide pool behind gradient buffers and backward temporaries. */
export const scratch = new ScratchPool();
useHostPool(scratch);

/** Hands a dead buffer back: to the host pool, or to its device's allocator. */
function giveBack(b: Storage): void {
  if (b instanceof Float32Array) scratch.give(b);
  else deviceOfStorage(b).give(b as CudaArray);
}

/** gx += g on a device (the float32 sum of the element-wise add kernel; a plain loop on the host). */
export function addInto(gx: Storage, g: Storage, device: Device): void {
  if (gx instanceof Float32Array && g instanceof Float32Array) {
    for (let i = 0; i < g.length; i++) gx[i] += g[i];
    return;
  }
  device.kernels().binary('add', gx, g, gx, 1, g.length, 'full');
}

/** Op-output buffers taken inside the current `scoped()` region (null outside one). */
let scope: Storage[] | null = null;

/**
 * Runs `fn` (no-grad work: evaluation) and returns its value with a `release()`
 * that hands every op-output buffer made inside back to the scratch pool, so the
 * next batch reuses them instead of allocating. The caller copies what it keeps
 * (e.g. the model output) BEFORE calling release(). Needs gradients off: a tape
 * would still point at the buffers. Regions do not nest.
 */
export function scoped<T>(fn: () => T): { value: T; release: () => void } {
  if (gradEnabled) throw new Error('scoped: needs gradients off (wrap it in noGrad); op outputs on a tape are recycled by backward()');
  if (scope !== null) throw new Error('scoped: regions do not nest');
  const bufs: Storage[] = [];
  scope = bufs;
  let value: T;
  try {
    value = fn();
  } finally {
    scope = null;
  }
  let done = false;
  return {
    value,
    release: () => {
      if (done) return;
      done = true;
      for (const b of bufs) giveBack(b);
    },
  };
}

/** Post-order DFS (iterative: deep models make recursion risky). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i < t.parents.length) {
      top[1]++;
      const p = t.parents[i];
      if (p.requiresGrad && !seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Marks `out` as produced from `inputs` and attaches its backward closure when
 * gradients are on and some input needs one. Returns `out`.
 */
export function record(out: Tensor, inputs: readonly Tensor[], backwardFn: () => void): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.parents = inputs;
    out.backwardFn = backwardFn;
  }
  return out;
}
