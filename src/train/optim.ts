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

export type OptimizerName = 'adam' | 'adamw' | 'sgd';
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

export class Optimizer {
  /** Learning rate used by the next step (the scheduler sets it). */
  lr: number;
  readonly kind: OptimizerName;
  private readonly opts: Required<OptimizerOptions>;
  private readonly params: [string, Tensor][];
  private readonly steps = new Map<string, number>();
  private readonly bufs = new Map<string, Map<string, Storage>>();

  /** @param params named parameters, e.g. `model.namedParameters()` */
  constructor(kind: OptimizerName, params: [string, Tensor][], opts: OptimizerOptions) {
    if (!OPTIMIZERS.includes(kind)) throw new Error(`optimizer: unknown optimizer '${kind}'; accepted: ${OPTIMIZERS.join(', ')}`);
    if (!(opts.lr >= 0) || !(opts.weightDecay >= 0)) throw new Error(`optimizer: lr (${opts.lr}) and weight decay (${opts.weightDecay}) must be >= 0`);
    this.kind = kind;
    this.params = params;
    this.lr = opts.lr;
    this.opts = {
      lr: opts.lr, weightDecay: opts.weightDecay, betas: opts.betas ?? [0.9, 0.999], eps: opts.eps ?? 1e-8,
      momentum: opts.momentum ?? 0, dampening: opts.dampening ?? 0, nesterov: opts.nesterov ?? false,
    };
  }

  /** The base learning rate the schedule multiplies. */
  get baseLr(): number { return this.opts.lr; }

  /**
   * Clears every parameter's gradient (PyTorch `zero_grad(set_to_none=True)`); the
   * arrays go back to the scratch pool (`Tensor.clearGrad`), so copy a gradient you
   * want to keep before calling this.
   */
  zeroGrad(): void {
    for (const [, p] of this.params) p.clearGrad();
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    const o = this.opts;
    for (const [key, p] of this.params) {
      const g = p.gradStorage;
      if (g === null) continue;
      const K = p.device.kernels();
      const zeros = () => (p.device.name === 'cpu' ? new Float32Array(p.size) : p.device.take(p.size));
      const t = (this.steps.get(key) ?? 0) + 1;
      this.steps.set(key, t);
      let b = this.bufs.get(key);
      if (this.kind === 'sgd') {
        if (o.momentum === 0) {
          K.sgdStep(p.storage, g, null, this.lr, 0, o.dampening, o.weightDecay, false, true);
          continue;
        }
        const first = !b;
        if (!b) { b = new Map([['momentum_buffer', zeros()]]); this.bufs.set(key, b); }
        K.sgdStep(p.storage, g, b.get('momentum_buffer')!, this.lr, o.momentum, o.dampening, o.weightDecay, o.nesterov, first);
      } else {
        if (!b) {
          b = new Map([['exp_avg', zeros()], ['exp_avg_sq', zeros()]]);
          this.bufs.set(key, b);
        }
        K.adamStep(p.storage, g, b.get('exp_avg')!, b.get('exp_avg_sq')!, this.lr, o.betas[0], o.betas[1], o.eps,
          o.weightDecay, t, this.kind === 'adamw');
      }
    }
  }

  /** A copy of the state on the host (for checkpoints). */
  getState(): OptimizerState {
    const buffers = new Map<string, Map<string, Float32Array>>();
    const device = new Map(this.params.map(([k, p]) => [k, p.device]));
    for (const [k, b] of this.bufs) {
      buffers.set(k, new Map([...b].map(([n, a]) => [n, a instanceof Float32Array ? a.slice() : device.get(k)!.toHost(a)])));
    }
    return { kind: this.kind, steps: Object.fromEntries(this.steps), buffers };
  }

  /** Restores a state from `getState()`; every buffer must match its parameter's size. */
  setState(st: OptimizerState): void {
    if (st.kind !== this.kind) throw new Error(`optimizer: checkpoint holds ${st.kind} state, this run uses ${this.kind}`);
    const sizes = new Map(this.params.map(([k, p]) => [k, p.size]));
    const device = new Map(this.params.map(([k, p]) => [k, p.device]));
    this.steps.clear();
    this.bufs.clear();
    for (const [k, s] of Object.entries(st.steps)) {
      if (!sizes.has(k)) throw new Error(`optimizer: state names an unknown parameter '${k}'`);
      this.steps.set(k, s);
    }
    for (const [k, b] of st.buffers) {
      const n = sizes.get(k);
      if (n === undefined) throw new Error(`optimizer: state names an unknown parameter '${k}'`);
      const copy = new Map<string, Storage>();
      const d = device.get(k)!;
      for (const [name, a] of b) {
        if (a.length !== n) throw new Error(`optimizer: state ${k}.${name} has ${a.length} values, the parameter ${n}`);
        copy.set(name, d.name === 'cpu' ? a.slice() : d.fromHost(a));
      }
      this.bufs.set(k, copy);
    }
  }
}
