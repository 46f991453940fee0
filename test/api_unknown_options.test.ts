// Public functions refuse option keys they do not take (a misspelt option would
// otherwise be dropped and its default used), and name the likely intended key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphLoader } from '../src/data/loader.js';
import { preprocessDataset } from '../src/data/preprocess.js';
import { loadDataset } from '../src/data/registry.js';
import { Gradformer } from '../src/models/gradformer.js';
import { Optimizer } from '../src/train/optim.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { runExperiment } from '../src/train/experiment.js';
import { train } from '../src/train/trainer.js';
import { LrSchedule } from '../src/train/schedule.js';
import { reproduceRun } from '../src/train/reproduce.js';
import { checkKeys } from '../src/util/options.js';
import { Rng } from '../src/util/rng.js';

test('checkKeys: accepted keys pass, unknown ones are listed with a near match and the accepted set', () => {
  checkKeys('f', { a: 1, bC: 2 }, ['a', 'bC']);
  checkKeys('f', undefined, ['a']);
  assert.throws(() => checkKeys('f', { b_c: 1 }, ['a', 'bC']), /^Error: f: unknown option "b_c" \(did you mean bC\?\); accepted: a, bC$/);
  assert.throws(() => checkKeys('f', { x: 1, A: 2 }, ['a']), /^Error: f: unknown options "x", "A" \(did you mean a\?\); accepted: a$/);
});

test('Optimizer, GraphLoader, loadDataset, preprocessDataset and the model config refuse a misspelt option', async () => {
  const cfg = { mpnn: 'GIN', channels: 32, nhead: 4, num_layers: 1, node_method: 'add', pool: 'add', projection: 'lin', pe_origin_dim: 20, node_dim: 7, num_tasks: 2 } as const;
  const model = new Gradformer(cfg, new Rng(0));
  const bad = <T>(o: T) => o as unknown as never; // what a JavaScript caller can pass
  assert.throws(() => new Optimizer('adam', model.namedParameters(), bad({ lr: 1e-3, weight_decay: 1e-5 })), /^Error: optimizer: unknown option "weight_decay" \(did you mean weightDecay\?\)/);
  assert.throws(() => new Optimizer('adam', model.namedParameters(), bad({ lr: 1e-3 })), /^Error: optimizer: weightDecay must be a number >= 0 \(required\), got undefined$/);
  assert.throws(() => new Gradformer(bad({ ...cfg, numLayers: 3 }), new Rng(0)), /^Error: config: unknown option "numLayers" \(did you mean num_layers\?\)/);
  const ds = await loadDataset('MUTAG');
  await assert.rejects(loadDataset('MUTAG', bad({ dataRoot: '/data' })), /^Error: loadDataset: unknown option "dataRoot"; accepted: root, /);
  await assert.rejects(preprocessDataset(ds, bad({ pe: { kind: 'rwse', dim: 20 }, no_cache: true })), /^Error: preprocessDataset: unknown option "no_cache" \(did you mean noCache\?\)/);
  const pre = await preprocessDataset(ds, { pe: { kind: 'rwse', dim: 20 }, noCache: true, progress: false });
  assert.throws(() => new GraphLoader(ds.graphs, pre, [0, 1], bad({ batchSize: 2, drop_last: true })), /^Error: GraphLoader: unknown option "drop_last" \(did you mean dropLast\?\)/);
  assert.equal([...new GraphLoader(ds.graphs, pre, [0, 1, 2], { batchSize: 2, dropLast: true })].length, 1);
});

test('buildRunConfig refuses unknown override keys (train, train.pe, model, top level) as usage errors', async () => {
  const ds = await loadDataset('MUTAG');
  const bad = <T>(o: T) => o as unknown as never;
  assert.equal(buildRunConfig(ds, 'MUTAG', { train: { epochs: 3, batch_size: 8 } }, 0).train.batch_size, 8);
  assert.throws(() => buildRunConfig(ds, 'MUTAG', bad({ train: { epochs: 3, batchsize: 8 } }), 0), { name: 'UsageError', message: /^train: unknown option "batchsize" \(did you mean batch_size\?\); accepted: optimizer, lr, / });
  assert.throws(() => buildRunConfig(ds, 'MUTAG', bad({ train: { pe: { kind: 'rwse', dims: 8 } } }), 0), { name: 'UsageError', message: /^train\.pe: unknown option "dims" \(did you mean dim\?\)/ });
  assert.throws(() => buildRunConfig(ds, 'MUTAG', bad({ model: { nheads: 2 } }), 0), { name: 'UsageError', message: /^config: unknown option "nheads" \(did you mean nhead\?\)/ });
  assert.throws(() => buildRunConfig(ds, 'MUTAG', bad({ optim: {} }), 0), { name: 'UsageError', message: /^overrides: unknown option "optim"; accepted: model, train$/ });
});

test('train and runExperiment refuse unknown option keys before touching the disk', async () => {
  const ds = await loadDataset('MUTAG');
  const bad = <T>(o: T) => o as unknown as never;
  const run = buildRunConfig(ds, 'MUTAG', { train: { epochs: 1 } }, 0);
  const data = { ds, pre: [] };
  assert.throws(() => train(bad({ run, data, outDir: '/nonexistent/x', resume_: true })), /^Error: train: unknown option "resume_" \(did you mean resume\?\)/);
  assert.throws(() => runExperiment(bad({ preset: 'MUTAG', runs: 1, protocol: 'seeds', seed: 0, data, overrides: {}, outDir: '/nonexistent/x', dataRoot: null, onRunEnd: () => 0 })),
    /^Error: runExperiment: unknown option "onRunEnd"; accepted: preset, /);
});

test('loadDataset passes its options on to the format loader, which checks their keys too', async () => {
  await assert.rejects(loadDataset('MUTAG', { options: { useNodeAttrs: true } }), /^Error: TU options: unknown option "useNodeAttrs" \(did you mean useNodeAttr\?\)/);
  await assert.rejects(loadDataset('CLUSTER', { options: { seeed: 1 } }), /^Error: SBM options: unknown option "seeed" \(did you mean seed\?\)/);
});

test('LrSchedule and reproduceRun check their option keys', async () => {
  const bad = <T>(o: T) => o as unknown as never;
  assert.throws(() => new LrSchedule(1, bad({ kind: 'none', stepEvery: 'epoch', warmup: 0, epochs: 1, batches_per_epoch: 4 })), /^Error: LrSchedule: unknown option "batches_per_epoch" \(did you mean batchesPerEpoch\?\)/);
  await assert.rejects(reproduceRun('/nonexistent', bad({ out_dir: '/tmp/x' })), /^Error: reproduceRun: unknown option "out_dir" \(did you mean outDir\?\)/);
});
