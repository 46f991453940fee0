// Metrics (OGB ROC-AUC semantics, SBM weighted accuracy) and task losses by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracy, binaryRocAuc, mae, ogbRocAuc, weightedAccuracy } from '../src/train/metrics.js';
import { sbmClassWeights } from '../src/train/losses.js';

test('ROC-AUC by hand, with ties counted half', () => {
  // pos scores 0.8, 0.4; neg 0.4, 0.1: pairs (0.8>0.4, 0.8>0.1, 0.4=0.4 -> 1/2, 0.4>0.1) = 3.5/4
  assert.equal(binaryRocAuc([0.8, 0.4, 0.4, 0.1], [1, 1, 0, 0]), 0.875);
  assert.equal(binaryRocAuc([0.1, 0.2, 0.3], [0, 0, 1]), 1);
  assert.equal(binaryRocAuc([0.3, 0.2, 0.1], [0, 0, 1]), 0);
  assert.equal(binaryRocAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]), 0.5);
});

test('OGB rocauc: per task, NaN labels ignored, single-class tasks skipped, mean of the rest', () => {
  // 3 tasks x 4 rows. Task 0: AUC 0.75; task 1: only positives (skipped);
  // task 2: a NaN label removed, remaining perfect ranking -> 1.
  const yTrue = [1, 1, 0, /**/ 0, 1, 1, /**/ 1, 1, NaN, /**/ 0, 1, 0];
  const yPred = [0.9, 0.1, 0.2, /**/ 0.8, 0.2, 0.9, /**/ 0.3, 0.3, 5.0, /**/ 0.7, 0.4, 0.1];
  // task 0: pos {0.9, 0.3}, neg {0.8, 0.7}: pairs 0.9>0.8, 0.9>0.7 -> 2/4 = 0.5
  // task 2: pos {0.9 (row1)}, neg {0.2 (row0), 0.1 (row3)} -> 1
  assert.equal(ogbRocAuc(yPred, yTrue, 3), (0.5 + 1) / 2);
  assert.throws(() => ogbRocAuc([0.1, 0.2], [1, 1], 1), /No positively labeled data/);
});

test('accuracy (first maximum wins), MAE, weighted accuracy', () => {
  assert.equal(accuracy([1, 1, 0, 2, 3, 0], [1, 1, 0], 2), 2 / 3); // row 0 ties: class 0 wins
  assert.equal(mae([1, 2, 4], [1.5, 2, 3]), 0.5);
  // targets 0,0,0,1; preds 0,1,1,1 -> recall 1/3 and 1 -> (1/3 + 1) / 2
  assert.ok(Math.abs(weightedAccuracy([1, 0, 0, 1, 0, 1, 0, 1], [0, 0, 0, 1], 2) - (1 / 3 + 1) / 2) < 1e-12);
  // A class never predicted nor present does not count; one present but never predicted does.
  assert.equal(weightedAccuracy([1, 0, 1, 0, 1, 0], [0, 0, 1], 2), (1 + 0) / 2);
});

test('Benchmarking-GNNs class weights from the batch labels', () => {
  // V = 5, counts [3, 0, 2] -> [(5-3)/5, 0, (5-2)/5]
  assert.deepEqual(Array.from(sbmClassWeights(Int32Array.of(0, 0, 2, 0, 2), 3)), [Math.fround(0.4), 0, Math.fround(0.6)]);
});
