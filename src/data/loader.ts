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

export interface LoaderOptions {
  batchSize: number;
  /** Reshuffle at the start of every epoch (training). Default false. */
  shuffle?: boolean;
  /** Drop the last incomplete batch. Default false. */
  dropLast?: boolean;
  /** Seed of the shuffling generator (default 0); or pass rng to share one. */
  seed?: number;
  rng?: Rng;
}

export class GraphLoader implements Iterable<GraphBatch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
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

  getState(): RngState { return this.rng.getState(); }
  setState(s: RngState): void { this.rng.setState(s); }
}
