/**
 * Predictions without files: a model's outputs over batches (what `gradformer
 * eval` and `predict` compute) and the rows `gradformer predict` prints (class
 * probabilities, sigmoids of binary logits, regression values). Node-free, so
 * the web page (src/web/predict.ts) gives the CLI's numbers.
 */
import type { GraphBatch, Task } from '../graph/types.js';
import type { Gradformer } from '../models/gradformer.js';
import { noGrad, scoped } from '../tensor/tensor.js';

/** Model outputs [rows, cols] and targets over batches (a list or a GraphLoader), in eval mode without gradients. */
export function predict(model: Gradformer, batches: Iterable<GraphBatch>, nodeLevel: boolean): { out: Float32Array; cols: number; y: Float32Array } {
  const wasTraining = model.training;
  model.eval();
  try {
    const outs: Float32Array[] = [], ys: Float32Array[] = [];
    let cols = 0;
    noGrad(() => {
      for (const b of batches) {
        // Op outputs of one batch go back to the pool for the next one: copy the
        // model output before releasing them.
        const s = scoped(() => model.forward(b).out);
        cols = s.value.cols;
        outs.push(s.value.toHost().slice());
        s.release();
        ys.push(nodeLevel ? Float32Array.from(b.nodeY!) : b.y);
      }
    });
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

/** One row of `gradformer predict`'s output. */
export type PredictionRow =
  | { id: string | number; prediction: number; probabilities: number[] }
  | { id: string | number; prediction: number[]; logits: number[] }
  | { id: string | number; prediction: number | number[] };

/**
 * Rows of outputs `out` [ids.length, cols] as the task reads them: multi_class
 * the argmax class and softmax probabilities, binary_class the sigmoid of each
 * logit (with the logits), regression the value (or values when cols > 1).
 */
export function predictionRows(task: Task, ids: readonly (string | number)[], out: Float32Array, cols: number): PredictionRow[] {
  return ids.map((id, r) => {
    const o2 = Array.from(out.subarray(r * cols, (r + 1) * cols));
    if (task === 'multi_class') {
      const m = Math.max(...o2), e = o2.map((v) => Math.exp(v - m)), z = e.reduce((a, b) => a + b, 0);
      const probs = e.map((v) => v / z);
      return { id, prediction: probs.indexOf(Math.max(...probs)), probabilities: probs };
    }
    if (task === 'binary_class') return { id, prediction: o2.map((v) => 1 / (1 + Math.exp(-v))), logits: o2 };
    return { id, prediction: cols === 1 ? o2[0] : o2 };
  });
}
