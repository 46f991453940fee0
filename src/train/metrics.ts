/**
 * Evaluation metrics, with the semantics of the official evaluation code:
 * - accuracy: argmax of the logits (first maximum wins) equals the class id;
 * - mae: mean |pred[:, 0] - y|;
 * - rocauc: OGB Evaluator (ogbg-mol*): per task, only when the task has both a
 *   positive and a negative label; NaN labels are ignored; the mean over the
 *   tasks that qualify (an error when none does);
 * - weighted_accuracy: accuracy_sbm of Benchmarking-GNNs (criterion/weight_loss.py):
 *   per-class recall over all rows at once, summed and divided by the number of
 *   classes seen among targets and predictions.
 */
export type MetricName = 'accuracy' | 'mae' | 'rocauc' | 'weighted_accuracy';
/** Every MetricName, in the order error messages list them. */
export const METRICS: readonly MetricName[] = ['accuracy', 'mae', 'rocauc', 'weighted_accuracy'];

/** Whether larger is better. */
export function higherIsBetter(m: MetricName): boolean {
  return m !== 'mae';
}

/** Index of the first maximum of row r of x [rows, cols]. */
function argmaxRow(x: ArrayLike<number>, r: number, cols: number): number {
  let best = 0, bv = x[r * cols];
  for (let c = 1; c < cols; c++) if (x[r * cols + c] > bv) { bv = x[r * cols + c]; best = c; }
  return best;
}

/** Fraction of rows of logits [rows, cols] whose argmax is the target class. */
export function accuracy(logits: ArrayLike<number>, target: ArrayLike<number>, cols: number): number {
  const n = target.length;
  if (n === 0) return NaN;
  let ok = 0;
  for (let r = 0; r < n; r++) if (argmaxRow(logits, r, cols) === target[r]) ok++;
  return ok / n;
}

/** Mean absolute error of pred[:, 0] (pred [rows, cols]) against y [rows]. */
export function mae(pred: ArrayLike<number>, y: ArrayLike<number>, cols = 1): number {
  const n = y.length;
  let s = 0;
  for (let r = 0; r < n; r++) s += Math.abs(pred[r * cols] - y[r]);
  return s / n;
}

/**
 * Area under the ROC curve of scores against binary labels (0/1), ties counted
 * half (the Mann-Whitney statistic; equal to sklearn's roc_auc_score). Both
 * classes must be present.
 */
export function binaryRocAuc(score: ArrayLike<number>, label: ArrayLike<number>): number {
  const n = score.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  // Average ranks (1-based) over groups of tied scores.
  let rankSumPos = 0, pos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && score[idx[j + 1]] === score[idx[i]]) j++;
    const avgRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (label[idx[k]] === 1) { rankSumPos += avgRank; pos++; }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) throw new Error('rocauc: needs both positive and negative labels');
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * OGB's eval_rocauc: y_true and y_pred [rows, tasks]; per task, skip it unless it
 * has at least one 1 and one 0; ignore NaN labels; average the rest.
 */
export function ogbRocAuc(yPred: ArrayLike<number>, yTrue: ArrayLike<number>, tasks: number): number {
  const rows = yTrue.length / tasks;
  const list: number[] = [];
  for (let t = 0; t < tasks; t++) {
    let ones = 0, zeros = 0;
    const s: number[] = [], l: number[] = [];
    for (let r = 0; r < rows; r++) {
      const v = yTrue[r * tasks + t];
      if (Number.isNaN(v)) continue;
      if (v === 1) ones++; else if (v === 0) zeros++;
      s.push(yPred[r * tasks + t]); l.push(v);
    }
    if (ones > 0 && zeros > 0) list.push(binaryRocAuc(s, l));
  }
  if (list.length === 0) throw new Error('rocauc: no task has both positive and negative labels (OGB: "No positively labeled data available. Cannot compute ROC-AUC.")');
  return list.reduce((a, b) => a + b, 0) / list.length;
}

/** accuracy_sbm: sum over classes r < K of recall_r, divided by K = classes seen in targets or predictions. */
export function weightedAccuracy(logits: ArrayLike<number>, target: ArrayLike<number>, cols: number): number {
  const n = target.length;
  const pred = new Int32Array(n);
  for (let r = 0; r < n; r++) pred[r] = argmaxRow(logits, r, cols);
  // sklearn's confusion_matrix is sized by the distinct labels of targets and predictions.
  const seen = new Set<number>();
  for (let r = 0; r < n; r++) { seen.add(target[r]); seen.add(pred[r]); }
  const K = seen.size;
  const count = new Float64Array(K), hit = new Float64Array(K);
  for (let r = 0; r < n; r++) {
    const t = target[r];
    if (t < K) { count[t]++; if (pred[r] === t) hit[t]++; }
  }
  let s = 0;
  for (let c = 0; c < K; c++) if (count[c] > 0) s += hit[c] / count[c];
  return s / K;
}

/** Computes a metric from the collected outputs [rows, cols] and targets. */
export function computeMetric(name: MetricName, out: Float32Array, cols: number, y: Float32Array | Int32Array): number {
  switch (name) {
    case 'accuracy': return accuracy(out, y, cols);
    case 'mae': return mae(out, y, cols);
    case 'rocauc': return ogbRocAuc(out, y, cols);
    case 'weighted_accuracy': return weightedAccuracy(out, y, cols);
    default: throw new Error(`metric: unknown metric '${String(name)}'; accepted: ${METRICS.join(', ')}`);
  }
}
