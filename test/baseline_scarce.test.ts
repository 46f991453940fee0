// The GraphGPS baseline (decay off) and the scarce-data subsample (--train-fraction):
// the two knobs of the paper's depth and scarce-data claims, each changing one thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../src/data/registry.js';
import { preprocessDataset } from '../src/data/preprocess.js';
import { GraphLoader } from '../src/data/loader.js';
import { subsampleTrain, torchRandomSplit } from '../src/data/splits.js';
import { Gradformer } from '../src/models/gradformer.js';
import type { GradformerConfig } from '../src/models/config.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { runSplit } from '../src/train/trainer.js';
import { computeLoss } from '../src/train/losses.js';
import { Optimizer } from '../src/train/optim.js';
import { Rng } from '../src/util/rng.js';

async function mutagBatches() {
  const ds = await loadDataset('MUTAG');
  const pre = await preprocessDataset(ds, { pe: { kind: 'rwse', dim: 20 } });
  const batches = [...new GraphLoader(ds.graphs, pre, Int32Array.from({ length: 64 }, (_, i) => i), { batchSize: 32 })];
  return { ds, batches };
}

const base = (ds: { nodeFeatDim: number; numClasses: number }): Partial<GradformerConfig> => ({
  mpnn: 'GIN', channels: 32, nhead: 4, num_layers: 2, n_hop: 2, node_method: 'add', pool: 'add', projection: 'lin',
  pe_origin_dim: 20, node_dim: ds.nodeFeatDim, num_tasks: ds.numClasses, task: 'multi_class', attn_dropout: 0,
});

/** Trains a few Adam steps (weight decay on) and returns outputs per step and the final parameters. */
function trainSteps(cfg: Partial<GradformerConfig>, batches: Awaited<ReturnType<typeof mutagBatches>>['batches']) {
  const model = new Gradformer(cfg, new Rng(7));
  const opt = new Optimizer('adam', model.namedParameters(), { lr: 1e-2, weightDecay: 1e-3 });
  const outs: Float32Array[] = [];
  for (let s = 0; s < 3; s++) {
    for (const b of batches) {
      model.zeroGrad();
      const { out } = model.forward(b);
      outs.push(out.data.slice());
      computeLoss('cross_entropy', out, b, false).backward();
      opt.step();
    }
  }
  return { outs, params: new Map(model.namedParameters().map(([k, p]) => [k, p.data.slice()])) };
}

test('decay off (GraphGPS) computes exactly what gamma = 1 computes; only the unused hop differs', async () => {
  const { ds, batches } = await mutagBatches();
  const off = trainSteps({ ...base(ds), decay: false }, batches);
  const one = trainSteps({ ...base(ds), gamma: 1 }, batches);
  const decayed = trainSteps({ ...base(ds), gamma: 0.6 }, batches);
  assert.equal(off.outs.length, one.outs.length);
  off.outs.forEach((o, i) => assert.deepEqual(o, one.outs[i], `outputs of step ${i}`));
  for (const [k, v] of off.params) {
    if (k === 'hop') continue;
    assert.deepEqual(v, one.params.get(k), `parameter ${k}`);
  }
  // decay off: hop gets no gradient, so not even weight decay moves it; gamma 1: its
  // gradient is 0 but Adam's L2 term moves it (without changing any output).
  assert.deepEqual(Array.from(off.params.get('hop')!), [2, 2, 2, 2]);
  assert.ok(Array.from(one.params.get('hop')!).every((h) => h !== 2));
  // And the mask does matter when it decays: the comparison is not vacuous.
  assert.notDeepEqual(decayed.outs[0], off.outs[0]);
});

test('decay off rejects a learnable gamma; gamma must be in (0, 1]', () => {
  assert.throws(() => new Gradformer({ decay: false, learn_gamma: true }, new Rng(0)), /decay false .* learn_gamma/);
  assert.throws(() => new Gradformer({ gamma: 1.5 }, new Rng(0)), /gamma must be in \(0, 1\]/);
  assert.throws(() => new Gradformer({ gamma: 1, learn_gamma: true }, new Rng(0)), /needs gamma < 1/);
});

test('subsampleTrain: stratified, seeded, a subset of the training part, sizes per class', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 < 3 ? 1 : 0)); // 30 % class 1
  const train = torchRandomSplit(1000, 12344).train;
  const a = subsampleTrain(train, labels, 0.05, 3), b = subsampleTrain(train, labels, 0.05, 3), c = subsampleTrain(train, labels, 0.05, 4);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const inTrain = new Set(train);
  assert.ok(Array.from(a).every((i) => inTrain.has(i)));
  assert.equal(new Set(a).size, a.length);
  const count = (s: Int32Array, cls: number) => Array.from(s).filter((i) => labels[i] === cls).length;
  for (const cls of [0, 1]) assert.equal(count(a, cls), Math.round(0.05 * count(train, cls)), `class ${cls}`);
  assert.deepEqual(subsampleTrain(train, labels, 1, 3), train);
  // A rare class keeps at least one graph; regression (no labels) samples plainly.
  const rare = Int32Array.from({ length: 100 }, (_, i) => (i === 5 ? 1 : 0));
  const sub = subsampleTrain(Int32Array.from({ length: 100 }, (_, i) => i), rare, 0.1, 0);
  assert.ok(sub.includes(5));
  assert.equal(sub.length, 11);
  assert.equal(subsampleTrain(train, null, 0.1, 0).length, Math.round(0.1 * train.length));
  assert.throws(() => subsampleTrain(train, labels, 0, 0), /train fraction must be in \(0, 1\]/);
});

test('train_fraction in a run: only the training part shrinks, validation and test are the full split', async () => {
  const ds = await loadDataset('MUTAG');
  const full = buildRunConfig(ds, 'MUTAG', { train: { split: 'torch_random_80_10_10', split_seed: 12344 } }, 0);
  const part = buildRunConfig(ds, 'MUTAG', { train: { split: 'torch_random_80_10_10', split_seed: 12344, train_fraction: 0.1 } }, 0);
  const sf = runSplit(full, ds), sp = runSplit(part, ds);
  assert.deepEqual(sp.val, sf.val);
  assert.deepEqual(sp.test, sf.test);
  assert.equal(sf.train.length, 150);
  assert.ok(sp.train.length >= 14 && sp.train.length <= 16, `${sp.train.length} graphs`);
  assert.throws(() => buildRunConfig(ds, 'MUTAG', { train: { train_fraction: 1.5 } }, 0), /train_fraction must be in \(0, 1\]/);
});
