/**
 * Training losses per task, as the official main.py computes them:
 * - cross_entropy: F.cross_entropy over graphs (or nodes for node tasks);
 * - weighted_cross_entropy: the Benchmarking-GNNs weighting of PATTERN/CLUSTER
 *   (criterion/weight_loss.py): from the labels of the CURRENT batch, class c gets
 *   weight (V - count_c) / V (0 for a class absent from the batch), V = labels in
 *   the batch, then the weighted mean NLL;
 * - bce: BCE-with-logits, mean over labelled entries (NaN = missing label masked out);
 * - l1: mean |out[:, 0] - y| (the official MAE loss).
 */
import type { GraphBatch } from '../graph/types.js';
import * as ops from '../tensor/ops.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The training losses, as the official main.py computes them: 'cross_entropy',
 * 'weighted_cross_entropy' (PATTERN/CLUSTER: class weights from the current batch,
 * sbmClassWeights), 'bce' (with logits, NaN labels masked out) and 'l1' (MAE).
 */
export type LossName = 'cross_entropy' | 'weighted_cross_entropy' | 'bce' | 'l1';
/** Every LossName, in the order error messages list them. */
export const LOSSES: readonly LossName[] = ['cross_entropy', 'weighted_cross_entropy', 'bce', 'l1'];

// The target arrays derived from a batch, made once per batch: the same array object
// each time, so a device uploads it once (with the batch: lossArrays, Gradformer.stage).
const graphClasses = new WeakMap<GraphBatch, Int32Array>();
const bceTargets = new WeakMap<GraphBatch, { target: Float32Array; mask: Uint8Array }>();

/** Class ids [rows] of a batch: node labels for node tasks, else the graph targets. */
export function classTargets(batch: GraphBatch, nodeLevel: boolean): Int32Array {
  if (nodeLevel) {
    if (!batch.nodeY) throw new Error('loss: node-level task but the batch has no node labels');
    return batch.nodeY;
  }
  let t = graphClasses.get(batch);
  if (t === undefined) { t = Int32Array.from(batch.y); graphClasses.set(batch, t); }
  return t;
}

/** BCE targets of a batch with missing labels (NaN) as 0, and the mask of the labelled ones. */
function bceOf(batch: GraphBatch): { target: Float32Array; mask: Uint8Array } {
  let t = bceTargets.get(batch);
  if (t === undefined) {
    const y = batch.y;
    t = { target: Float32Array.from(y, (v) => (Number.isNaN(v) ? 0 : v)), mask: Uint8Array.from(y, (v) => (Number.isNaN(v) ? 0 : 1)) };
    bceTargets.set(batch, t);
  }
  return t;
}

/** The host arrays `computeLoss` hands the device for this batch (to stage them with the batch). */
export function lossArrays(loss: LossName, batch: GraphBatch, nodeLevel: boolean): (Int32Array | Float32Array | Uint8Array)[] {
  switch (loss) {
    case 'cross_entropy': case 'weighted_cross_entropy': return [classTargets(batch, nodeLevel)];
    case 'bce': { const { target, mask } = bceOf(batch); return [target, mask]; }
    case 'l1': return [batch.y];
    default: return [];
  }
}

/** Benchmarking-GNNs class weights [classes]: (V - count_c) / V, 0 for classes absent from `target`. */
export function sbmClassWeights(target: Int32Array, classes: number): Float32Array {
  const count = new Float64Array(classes);
  for (const t of target) count[t]++;
  const V = target.length;
  return Float32Array.from(count, (c) => (c > 0 ? (V - c) / V : 0));
}

/**
 * The loss of one batch. `out` is [B, tasks] (graph tasks) or [N, classes] (node tasks).
 */
export function computeLoss(loss: LossName, out: Tensor, batch: GraphBatch, nodeLevel: boolean): Tensor {
  switch (loss) {
    case 'cross_entropy': return ops.crossEntropy(out, classTargets(batch, nodeLevel));
    case 'weighted_cross_entropy': {
      const t = classTargets(batch, nodeLevel);
      return ops.crossEntropy(out, t, sbmClassWeights(t, out.cols));
    }
    case 'bce': {
      const y = batch.y;
      if (y.length !== out.size) throw new Error(`loss bce: ${y.length} targets for an output of ${out.size} values`);
      const { target, mask } = bceOf(batch);
      return ops.bceWithLogits(out, target, mask);
    }
    case 'l1': {
      // Official: (out.squeeze() - y).abs().mean() with one regression target.
      if (out.cols !== 1) throw new Error(`loss l1: expects one output column, got [${out.shape.join(', ')}]`);
      return ops.l1Loss(out, batch.y);
    }
    default: throw new Error(`loss: unknown loss '${String(loss)}'; accepted: ${LOSSES.join(', ')}`);
  }
}
