/**
 * The rows `gradformer predict` prints for model outputs (class probabilities,
 * sigmoids of binary logits, regression values) and its CSV text. Node-free, so
 * the web page shows and downloads the CLI's numbers.
 */
import type { Task } from '../graph/types.js';

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

/** The rows as `gradformer predict --format csv` writes them: a header of the row keys, arrays joined by ';'. */
export function predictionsCsv(rows: readonly object[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) => {
    const s = Array.isArray(v) ? v.join(';') : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell((r as Record<string, unknown>)[c])).join(','))].join('\n') + '\n';
}
