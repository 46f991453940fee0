/**
 * Predictions without files: a model's outputs over batches (what `gradformer
 * eval` and `predict` compute, and the trainer's evaluation). Node-free, so the
 * web page gives the CLI's numbers.
 */
import type { GraphBatch } from '../graph/types.js';
import type { Gradformer } from '../models/gradformer.js';
import type { Storage } from '../tensor/device.js';
import { noGrad, scoped } from '../tensor/tensor.js';
import type { ThreadTuner } from '../tensor/thread_tuner.js';

/**
 * Model outputs [rows, cols] and targets over batches (a list or a GraphLoader), in eval mode
 * without gradients. `threads`: chooses the thread count batch by batch (`--threads auto` in
 * `gradformer eval` and `predict`; the numbers do not depend on it).
 */
export function predict(model: Gradformer, batches: Iterable<GraphBatch>, nodeLevel: boolean, threads: ThreadTuner | null = null): { out: Float32Array; cols: number; y: Float32Array } {
  const wasTraining = model.training;
  model.eval();
  try {
    let outs: Float32Array[] = [];
    const ys: Float32Array[] = [], D = model.hop.device, kept: Storage[] = [];
    let cols = 0;
    noGrad(() => {
      for (const b of batches) {
        threads?.next();
        const t0 = performance.now();
        // Op outputs of one batch go back to the pool for the next one: copy the
        // model output before releasing them (on a device, into a buffer of its own,
        // all read back at the end in one transfer: no wait for the device per batch).
        const s = scoped(() => model.forward(b).out);
        cols = s.value.cols;
        if (D.name === 'cpu') {
          outs.push(s.value.toHost().slice());
        } else {
          const keep = D.take(s.value.size, false);
          D.kernels().unary('scale', s.value.storage, keep, 1); // a copy: 1 * x is x
          kept.push(keep);
        }
        s.release();
        threads?.record((performance.now() - t0) / 1000, b.numNodes);
        ys.push(nodeLevel ? Float32Array.from(b.nodeY!) : b.y);
      }
    });
    threads?.settle();
    if (kept.length > 0) {
      outs = D.readAll(kept);
      for (const k of kept) D.give(k);
    }
    const cat = (a: Float32Array[]) => {
      const r = new Float32Array(a.reduce((s, x) => s + x.length, 0));
      let o = 0;
      for (const x of a) { r.set(x, o); o += x.length; }
      return r;
    };
    return { out: cat(outs), cols, y: cat(ys) };
  } finally {
    model.train(wasTraining);
  }
}
