/**
 * GraphLoader: iterates a subset of a dataset in batches of packed graphs.
 * Training order: reshuffled every epoch from the loader's own seeded Rng
 * (its state can be saved and restored for checkpoint resume); evaluation
 * order: the given index order, unshuffled.
 */
import { collate } from '../graph/batch.js';
import type { Graph, GraphBatch, GraphPre } from '../graph/types.js';
import { Rng, type RngState } from '../util/rng.js';
import { checkKeys } from '../util/options.js';

/** Options of GraphLoader; an unknown key is an error. */
export interface LoaderOptions {
  /** Graphs per batch (a positive integer). */
  batchSize: number;
  /** Reshuffle at the start of every epoch (training). Default false. */
  shuffle?: boolean;
  /** Drop the last incomplete batch. Default false. */
  dropLast?: boolean;
  /** Seed of the shuffling generator (default 0); or pass rng to share one. */
  seed?: number;
  /** A generator to shuffle with instead of a new one; its draws advance it for the caller too. */
  rng?: Rng;
}

/**
 * Iterates a subset of a dataset as packed batches (`collate`), one epoch per
 * `for ... of`. A shuffling loader draws each epoch's order from `rng` when the epoch
 * starts; its state (`getState` / `setState`) goes into checkpoints so a resumed run
 * sees the same orders. The constructor throws on a batch size that is not a
 * positive integer, an index outside the dataset, `pre` not matching `graphs`, or an
 * unknown option key.
 */
export class GraphLoader implements Iterable<GraphBatch> {
  /** Graphs per batch (the last batch may be smaller unless `dropLast`). */
  readonly batchSize: number;
  /** Whether every epoch is reshuffled. */
  readonly shuffle: boolean;
  /** Whether the last incomplete batch is dropped. */
  readonly dropLast: boolean;
  /** The generator the shuffles draw from (the `rng` option, or one seeded with `seed`). */
  readonly rng: Rng;
  private readonly order: Int32Array;

  /** graphs/pre: the whole dataset; indices: the subset (e.g. split.train) in evaluation order. */
  constructor(private readonly graphs: Graph[], private readonly pre: GraphPre[], indices: ArrayLike<number>, opts: LoaderOptions) {
    checkKeys('GraphLoader', opts, ['batchSize', 'shuffle', 'dropLast', 'seed', 'rng']);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`GraphLoader: batch size must be a positive integer, got ${opts.batchSize}`);
    if (pre.length !== graphs.length) throw new Error(`GraphLoader: ${graphs.length} graphs but ${pre.length} preprocessed entries`);
    this.order = Int32Array.from(indices);
    for (const i of this.order) if (i < 0 || i >= graphs.length) throw new Error(`GraphLoader: index ${i} is outside the ${graphs.length} graphs`);
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.rng = opts.rng ?? new Rng(opts.seed ?? 0);
  }

  /** Graphs per epoch. */
  get size(): number { return this.order.length; }

  /** Batches per epoch. */
  get numBatches(): number {
    const n = this.order.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The order of the next epoch (shuffles, advancing the rng, when shuffle is on). */
  epochOrder(): Int32Array {
    const o = this.order.slice();
    if (this.shuffle) this.rng.shuffle(o);
    return o;
  }

  /** One epoch of batches. The order is drawn when iteration starts. */
  *[Symbol.iterator](): Iterator<GraphBatch> {
    const o = this.epochOrder();
    const nb = this.numBatches;
    for (let b = 0; b < nb; b++) {
      yield collate(this.graphs, this.pre, o.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, o.length)));
    }
  }

  /** The shuffling generator's state (for checkpoints). */
  getState(): RngState { return this.rng.getState(); }
  /** Restores the shuffling generator's state from `getState()`. */
  setState(s: RngState): void { this.rng.setState(s); }
}
