// Splits (disjoint, complete, reproducible), the seeded RNG, and the batch loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/util/rng.js';
import { randomSplit, stratifiedKFold, datasetSplit } from '../src/data/splits.js';
import { GraphLoader } from '../src/data/loader.js';
import { loadDataset } from '../src/data/registry.js';
import { preprocessDataset } from '../src/data/preprocess.js';
import type { Split } from '../src/data/dataset.js';

function assertPartition(s: Split, n: number): void {
  const seen = new Uint8Array(n);
  for (const part of [s.train, s.val, s.test]) for (const i of part) { assert.ok(i >= 0 && i < n); seen[i]++; }
  assert.ok(seen.every((v) => v === 1), 'every index exactly once');
}

test('Rng: reproducible, state save/restore, nextInt range and rough uniformity, normal moments', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xs = Array.from({ length: 5 }, () => a.nextU32());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.nextU32()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.nextU32()));
  a.normal(); // leaves a spare deviate in the state
  const st = a.getState();
  const after = [a.normal(), a.nextFloat(), a.nextInt(7)];
  const r = new Rng(0); r.setState(JSON.parse(JSON.stringify(st)));
  assert.deepEqual([r.normal(), r.nextFloat(), r.nextInt(7)], after);
  const counts = new Array(10).fill(0);
  let s1 = 0, s2 = 0;
  for (let i = 0; i < 50000; i++) {
    const k = a.nextInt(10); assert.ok(k >= 0 && k < 10); counts[k]++;
    const f = a.nextFloat(); assert.ok(f >= 0 && f < 1);
    const z = a.normal(); s1 += z; s2 += z * z;
  }
  for (const k of counts) assert.ok(Math.abs(k - 5000) < 400, `bucket ${k}`);
  assert.ok(Math.abs(s1 / 50000) < 0.03 && Math.abs(s2 / 50000 - 1) < 0.04);
  const p = new Rng(1).permutation(100);
  assert.deepEqual(Array.from(p).sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
});

test('randomSplit: 80/10/10 with floor (official sizes), disjoint, complete, seeded', () => {
  for (const n of [188, 1113, 4110, 7]) {
    const s = randomSplit(n, 0);
    assert.equal(s.train.length, Math.floor(0.8 * n));
    assert.equal(s.val.length, Math.floor(0.1 * n));
    assertPartition(s, n);
  }
  assert.deepEqual(randomSplit(188, 5), randomSplit(188, 5));
  assert.notDeepEqual(randomSplit(188, 5).test, randomSplit(188, 6).test);
});

test('stratifiedKFold: folds partition, each test fold used once, class balance kept', () => {
  const labels = Array.from({ length: 188 }, (_, i) => (i < 63 ? 0 : 1));
  const folds = stratifiedKFold(labels, 10, 3);
  assert.equal(folds.length, 10);
  const testSeen = new Uint8Array(188);
  for (const f of folds) {
    assertPartition(f, 188);
    for (const i of f.test) testSeen[i]++;
    assert.ok(f.test.length >= 18 && f.test.length <= 19);
    const pos = f.test.reduce((a, i) => a + labels[i], 0);
    assert.ok(pos >= 12 && pos <= 13, `positives per fold ${pos}`);
  }
  assert.ok(testSeen.every((v) => v === 1));
  assert.deepEqual(stratifiedKFold(labels, 10, 3), folds);
});

test('datasetSplit: official for ZINC-like sets, random otherwise; k-fold needs classes', async () => {
  const ds = await loadDataset('MUTAG');
  assertPartition(datasetSplit(ds, 'auto', 1), 188);
  assert.deepEqual(datasetSplit(ds, 'auto', 1), randomSplit(188, 1));
  assert.deepEqual(datasetSplit(ds, 'random_80_10_10', 1), randomSplit(188, 1));
  assertPartition(datasetSplit(ds, 'kfold10', 1, 9), 188);
  assert.throws(() => datasetSplit(ds, 'official', 1), /^Error: split: dataset MUTAG has no official split; accepted splits for it: random_80_10_10, torch_random_80_10_10, kfold10/);
  const official = { train: Int32Array.of(0, 1), val: Int32Array.of(2), test: Int32Array.of(3) };
  assert.equal(datasetSplit({ ...ds, officialSplit: official }, 'auto', 1), official);
  assert.throws(() => datasetSplit({ ...ds, task: 'regression' }, 'kfold10', 1, 0), /^Error: split: kfold10 is stratified by class/);
  for (const bad of [-1, 10, 1.5]) assert.throws(() => datasetSplit(ds, 'kfold10', 1, bad), /^Error: split: fold must be 0\.\.9/);
});

test('datasetSplit refuses a split with an empty part (too few graphs), naming the sizes and what it needs', async () => {
  const ds = await loadDataset('MUTAG');
  const first = (n: number) => ({ ...ds, name: 'TINY', graphs: ds.graphs.slice(0, n) });
  for (const kind of ['random_80_10_10', 'torch_random_80_10_10'] as const) {
    assert.throws(() => datasetSplit(first(1), kind, 0),
      new RegExp(`^Error: split: ${kind} of TINY's 1 graph\\(s\\) leaves the train and val part empty \\(train 0 / val 0 / test 1\\); it needs at least 10 graphs$`));
    assert.throws(() => datasetSplit(first(9), kind, 0), /leaves the val part empty \(train 7 \/ val 0 \/ test 2\)/);
    assertPartition(datasetSplit(first(10), kind, 0), 10); // 8 / 1 / 1: the smallest that works
  }
  assert.throws(() => datasetSplit(first(9), 'kfold10', 0, 0), /cannot fill 10 folds/);
  const official = { train: Int32Array.of(0, 1), val: Int32Array.of(), test: Int32Array.of(3) };
  assert.throws(() => datasetSplit({ ...first(4), officialSplit: official }, 'official', 0),
    /^Error: split: official of TINY's 4 graph\(s\) leaves the val part empty \(train 2 \/ val 0 \/ test 1\); the dataset's own split must give every part a graph$/);
});

test('kfold10: fold k tests on fold k and validates on fold (k + 1) mod 10 (one rule, both sides of the wrap)', async () => {
  const ds = await loadDataset('MUTAG');
  const folds = stratifiedKFold(ds.graphs.map((g) => g.y[0]), 10, 4);
  for (let k = 0; k < 10; k++) {
    const s = datasetSplit(ds, 'kfold10', 4, k);
    assert.deepEqual(s, folds[k]);
    assert.deepEqual(s.val, folds[(k + 1) % 10].test, `fold ${k}: val is the next fold's test set`);
    assert.equal(s.train.length, 188 - s.val.length - s.test.length);
    for (const part of [s.train, s.val, s.test]) for (let i = 1; i < part.length; i++) assert.ok(part[i - 1] < part[i], 'sorted ascending');
  }
});

test('GraphLoader: batches cover the subset, shuffle seeded per epoch, eval order fixed, drop-last, resume', async () => {
  const ds = await loadDataset('MUTAG');
  const pre = await preprocessDataset(ds, { pe: { kind: 'rwse', dim: 8 }, noCache: true, progress: false });
  const idx = randomSplit(188, 0).train; // 150 graphs
  const ev = new GraphLoader(ds.graphs, pre, idx, { batchSize: 32 });
  assert.equal(ev.numBatches, 5);
  const order = [...ev].flatMap((b) => Array.from(b.index));
  assert.deepEqual(order, Array.from(idx));
  const tr = new GraphLoader(ds.graphs, pre, idx, { batchSize: 32, shuffle: true, dropLast: true, seed: 7 });
  assert.equal(tr.numBatches, 4);
  const e1 = [...tr].flatMap((b) => Array.from(b.index));
  const st = tr.getState();
  const e2 = [...tr].flatMap((b) => Array.from(b.index));
  assert.equal(e1.length, 128);
  assert.notDeepEqual(e1, e2);
  assert.ok(e1.every((i) => idx.includes(i)));
  const again = new GraphLoader(ds.graphs, pre, idx, { batchSize: 32, shuffle: true, dropLast: true, seed: 7 });
  assert.deepEqual([...again].flatMap((b) => Array.from(b.index)), e1);
  again.setState(st);
  assert.deepEqual([...again].flatMap((b) => Array.from(b.index)), e2);
  const b0 = [...ev][0];
  assert.equal(b0.numGraphs, 32); assert.equal(b0.peDim, 8); assert.equal(b0.nodeFeatDim, 7);
  assert.equal(b0.graphPtr[32], b0.numNodes);
});
