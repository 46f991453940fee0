/**
 * Optimisers over a model's named parameters, PyTorch semantics (torch.optim.Adam,
 * AdamW, SGD) through the `adamStep` / `sgdStep` kernels. Their state (moment
 * arrays, step counts) lives on the parameters' device; getState() and setState()
 * move it through plain Float32Arrays so a checkpoint can save and restore it exactly.
 *
 * As in PyTorch, a parameter whose `grad` is null at `step()` (it was not reached
 * by the loss, e.g. the encoders a configuration does not use) is skipped
 * entirely: no moment update and no weight decay.
 */
import type { Storage } from '../tensor/device.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkKeys } from '../util/options.js';

/**
 * The update rules, as torch.optim: 'adam' (weight decay added to the gradient),
 * 'adamw' (decoupled weight decay) and 'sgd' (optional momentum, dampening, Nesterov).
 */
export type OptimizerName = 'adam' | 'adamw' | 'sgd';
/** Every OptimizerName: the choices of `--optimizer`, in the order error messages list them. */
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'adamw', 'sgd'];

export interface OptimizerOptions {
  lr: number;
  weightDecay: number;
  /** Adam/AdamW betas (PyTorch default 0.9, 0.999). */
  betas?: [number, number];
  /** Adam/AdamW eps (PyTorch default 1e-8). */
  eps?: number;
  /** SGD momentum (0 = plain SGD). */
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

/** Saved optimiser state: per parameter key, its step count and named buffers. */
export interface OptimizerState {
  kind: OptimizerName;
  /** key -> number of steps taken on that parameter. */
  steps: Record<string, number>;
  /** key -> buffer name -> values (`exp_avg`, `exp_avg_sq` or `momentum_buffer`, PyTorch's names). */
  buffers: Map<string, Map<string, Float32Array>>;
}

/**
 * Parameters, gradients and Adam moments of a model, packed: each parameter owns a
 * slot of the same offset in four flat host arrays, so a step over consecutive
 * parameters is one kernel call over one range (233 calls a ZINC step before:
 * docs/PERFORMANCE.md, round 15). Slots start at multiples of 16 floats; the padding
 * between them stays zero in all four.
 */
class Flat {
  constructor(
    readonly values: Float32Array, readonly grads: Float32Array, readonly m: Float32Array, readonly v: Float32Array,
    private readonly offsets: readonly number[], private readonly sizes: readonly number[],
    private readonly valueSlots: readonly Float32Array[], private readonly gradSlots: readonly Float32Array[],
  ) {}
  /** Parameter i's slot of one of the flat arrays. */
  slot(a: Float32Array, i: number): Float32Array { return a.subarray(this.offsets[i], this.offsets[i] + this.sizes[i]); }
  /** [start, end) of the range that covers the slots of parameters i..j. */
  span(i: number, j: number): [number, number] { return [this.offsets[i], this.offsets[j] + this.sizes[j]]; }
  /**
   * Whether parameter i can share a call with its neighbours: its size is a multiple of 16
   * (the native kernel's bits depend on an element's place in a 16-wide step: sizes
   * that are multiples of 16 give every element the same place in one call as alone),
   * it still lives in its slot, and its gradient `g` is in its gradient slot.
   */
  inSlot(i: number, p: Tensor, g: Storage | null): boolean {
    return this.sizes[i] % 16 === 0 && g === this.gradSlots[i] && this.holds(i, p);
  }
  /** Whether parameter i still lives in its slot (moveTo takes it out: its moments then live on its device). */
  holds(i: number, p: Tensor): boolean { return p.storage === this.valueSlots[i]; }
}

/** Packs distinct cpu parameters into a Flat (moving their values: Tensor.packInto), or null when they are not. */
function pack(params: Tensor[]): Flat | null {
  if (params.length === 0 || new Set(params).size !== params.length) return null;
  if (!params.every((p) => p.storage instanceof Float32Array && p.backwardFn === null)) return null;
  const offsets: number[] = [], sizes = params.map((p) => p.size);
  let n = 0;
  for (const s of sizes) { offsets.push(n); n += Math.ceil(s / 16) * 16; }
  const values = new Float32Array(n), grads = new Float32Array(n);
  const cut = (a: Float32Array) => offsets.map((o, i) => a.subarray(o, o + sizes[i]));
  const valueSlots = cut(values), gradSlots = cut(grads);
  params.forEach((p, i) => p.packInto(valueSlots[i], gradSlots[i]));
  return new Flat(values, grads, new Float32Array(n), new Float32Array(n), offsets, sizes, valueSlots, gradSlots);
}

/**
 * Adam, AdamW or SGD over a model's named parameters, with PyTorch's update rules;
 * `step()` applies the current `lr` to every parameter that has a gradient. The
 * constructor throws on an unknown kind or option key, or an `lr` / `weightDecay`
 * that is missing or negative.
 */
export class Optimizer {
  /** Learning rate used by the next step (the scheduler sets it). */
  lr: number;
  /** The update rule. */
  readonly kind: OptimizerName;
  private readonly opts: Required<OptimizerOptions>;
  private readonly params: [string, Tensor][];
  /** Per parameter (by index): steps taken on it, 0 before its first. */
  private readonly stepOf: number[];
  /** Per parameter (by index): its named buffers once made, else null. */
  private readonly bufOf: (Map<string, Storage> | null)[];
  /** Parameter indices in the order their state began (the key order of getState(), as PyTorch's). */
  private order: number[] = [];
  private readonly inOrder: boolean[];
  /** Adam/AdamW on cpu: every parameter, gradient and moment packed in flat buffers (see `pack`), else null. */
  private readonly flat: Flat | null;

  /**
   * An optimiser of `kind` over `params` with the options `opts`.
   * @param params named parameters, e.g. `model.namedParameters()`. Adam and AdamW
   * on cpu move the parameters' values into one flat buffer (Tensor.packInto): a
   * step is then one kernel call over the whole model instead of one per tensor.
   * A `p.data` array taken before the optimiser was made is then no longer the
   * parameter's storage: read `p.data` again after constructing it.
   */
  constructor(kind: OptimizerName, params: [string, Tensor][], opts: OptimizerOptions) {
    if (!OPTIMIZERS.includes(kind)) throw new Error(`optimizer: unknown optimizer '${kind}'; accepted: ${OPTIMIZERS.join(', ')}`);
    checkKeys('optimizer', opts, ['lr', 'weightDecay', 'betas', 'eps', 'momentum', 'dampening', 'nesterov']);
    for (const k of ['lr', 'weightDecay'] as const) {
      if (!(opts[k] >= 0)) throw new Error(`optimizer: ${k} must be a number >= 0 (required), got ${opts[k]}`);
    }
    this.kind = kind;
    this.params = params;
    this.lr = opts.lr;
    this.opts = {
      lr: opts.lr, weightDecay: opts.weightDecay, betas: opts.betas ?? [0.9, 0.999], eps: opts.eps ?? 1e-8,
      momentum: opts.momentum ?? 0, dampening: opts.dampening ?? 0, nesterov: opts.nesterov ?? false,
    };
    this.stepOf = params.map(() => 0);
    this.bufOf = params.map(() => null);
    this.inOrder = params.map(() => false);
    this.flat = kind === 'sgd' ? null : pack(params.map(([, p]) => p));
  }

  /** The base learning rate the schedule multiplies. */
  get baseLr(): number { return this.opts.lr; }

  /**
   * Clears every parameter's gradient (PyTorch `zero_grad(set_to_none=True)`). The
   * arrays go back to the scratch pool (`Tensor.clearGrad`), so copy a gradient you
   * want to keep before calling this.
   */
  zeroGrad(): void {
    for (const [, p] of this.params) p.clearGrad();
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    const o = this.opts, P = this.params, F = this.flat;
    for (let i = 0; i < P.length; i++) {
      const p = P[i][1];
      const g = p.gradStorage;
      if (g === null) continue;
      const K = p.device.kernels();
      const fresh = this.bufOf[i] === null;
      const t = this.advance(i);
      const b = this.bufOf[i]!;
      if (this.kind === 'sgd') {
        if (o.momentum === 0) K.sgdStep(p.storage, g, null, this.lr, 0, o.dampening, o.weightDecay, false, true);
        else K.sgdStep(p.storage, g, b.get('momentum_buffer')!, this.lr, o.momentum, o.dampening, o.weightDecay, o.nesterov, fresh);
        continue;
      }
      // Packed (cpu): the next parameters whose gradients are in their flat slots and that
      // are at the same step go into the same call over their adjacent slots (Flat.inSlot).
      let j = i;
      if (F !== null && F.inSlot(i, p, g)) {
        while (j + 1 < P.length && this.stepOf[j + 1] + 1 === t && F.inSlot(j + 1, P[j + 1][1], P[j + 1][1].gradStorage)) this.advance(++j);
      }
      if (j > i) {
        const [a, e] = F!.span(i, j);
        K.adamStep(F!.values.subarray(a, e), F!.grads.subarray(a, e), F!.m.subarray(a, e), F!.v.subarray(a, e), this.lr,
          o.betas[0], o.betas[1], o.eps, o.weightDecay, t, this.kind === 'adamw');
        i = j;
      } else {
        K.adamStep(p.storage, g, b.get('exp_avg')!, b.get('exp_avg_sq')!, this.lr, o.betas[0], o.betas[1], o.eps,
          o.weightDecay, t, this.kind === 'adamw');
      }
    }
  }

  /** Counts a step of parameter i (making its buffers, zeros, on its first) and returns its step number. */
  private advance(i: number): number {
    const t = this.stepOf[i] + 1;
    this.stepOf[i] = t;
    if (!this.inOrder[i]) { this.inOrder[i] = true; this.order.push(i); }
    if (this.bufOf[i] === null) {
      const p = this.params[i][1], F = this.flat !== null && this.flat.holds(i, p) ? this.flat : null;
      const zeros = () => (p.device.name === 'cpu' ? new Float32Array(p.size) : p.device.take(p.size));
      // A flat moment slot is zero until the parameter's first step (and after setState).
      this.bufOf[i] = this.kind === 'sgd'
        ? new Map(this.opts.momentum === 0 ? [] : [['momentum_buffer', zeros()]])
        : new Map([['exp_avg', F?.slot(F.m, i) ?? zeros()], ['exp_avg_sq', F?.slot(F.v, i) ?? zeros()]]);
    }
    return t;
  }

  /** A copy of the state on the host (for checkpoints). */
  getState(): OptimizerState {
    const buffers = new Map<string, Map<string, Float32Array>>();
    const steps: Record<string, number> = {};
    for (const i of this.order) {
      const [k, p] = this.params[i];
      steps[k] = this.stepOf[i];
      const b = this.bufOf[i];
      if (b !== null && b.size > 0) buffers.set(k, new Map([...b].map(([n, a]) => [n, a instanceof Float32Array ? a.slice() : p.device.toHost(a)])));
    }
    return { kind: this.kind, steps, buffers };
  }

  /** Restores a state from `getState()`; every buffer must match its parameter's size. */
  setState(st: OptimizerState): void {
    if (st.kind !== this.kind) throw new Error(`optimizer: checkpoint holds ${st.kind} state, this run uses ${this.kind}`);
    const index = new Map(this.params.map(([k], i) => [k, i]));
    const at = (k: string): number => {
      const i = index.get(k);
      if (i === undefined) throw new Error(`optimizer: state names an unknown parameter '${k}'`);
      return i;
    };
    for (const k of Object.keys(st.steps)) at(k);
    for (const [k, b] of st.buffers) {
      const n = this.params[at(k)][1].size;
      for (const [name, a] of b) {
        if (a.length !== n) throw new Error(`optimizer: state ${k}.${name} has ${a.length} values, the parameter ${n}`);
      }
    }
    this.stepOf.fill(0);
    this.bufOf.fill(null);
    this.inOrder.fill(false);
    this.order = [];
    if (this.flat !== null) { this.flat.m.fill(0); this.flat.v.fill(0); } // a parameter without saved moments starts from zeros
    for (const [k, s] of Object.entries(st.steps)) {
      const i = at(k);
      this.stepOf[i] = s;
      this.inOrder[i] = true;
      this.order.push(i);
    }
    for (const [k, b] of st.buffers) {
      const i = at(k), p = this.params[i][1], d = p.device;
      const F = this.flat !== null && this.flat.holds(i, p) ? this.flat : null;
      const copy = new Map<string, Storage>();
      for (const [name, a] of b) {
        const slot = F === null ? null : name === 'exp_avg' ? F.slot(F.m, i) : name === 'exp_avg_sq' ? F.slot(F.v, i) : null;
        copy.set(name, slot !== null ? (slot.set(a), slot) : d.name === 'cpu' ? a.slice() : d.fromHost(a));
      }
      this.bufOf[i] = copy;
    }
  }
}
