// The public API (src/index.ts, the package's one entry point) beyond the
// quickstart: a trained run folder back as a model in one call, molecules from
// SMILES featurised as the dataset's graphs, and the error and cache helpers the
// docs name.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  DataError, GraphLoader, MOLECULE_DATASETS, buildRunConfig, clearCache, evaluate, loadDatasetByName, loadOptimizerState,
  loadTrainedModel, moleculeGraphs, preprocessDataset, readCheckpointState, runSplit, train,
} from '../src/index.js';
import { readSafetensors } from '../src/io/safetensors.js';

const tmp = mkdtempSync(join(tmpdir(), 'gf-api-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const ZINC = join(import.meta.dirname, '..', '..', 'shared', 'datasets', 'ZINC');

test('loadTrainedModel: a run folder back as an eval-mode model that scores exactly as the run did', async () => {
  const ds = await loadDatasetByName('MUTAG');
  const run = buildRunConfig(ds, 'MUTAG', { model: { num_layers: 1, channels: 24, nhead: 2 }, train: { epochs: 2, batch_size: 32 } }, 3);
  const pre = await preprocessDataset(ds, { pe: run.train.pe, noCache: true, progress: false });
  const out = join(tmp, 'run');
  const res = train({ run, data: { ds, pre }, outDir: out });
  const { model, state, dir } = loadTrainedModel(out);
  assert.equal(dir, join(out, 'best'));
  assert.equal(state.epoch, res.bestEpoch);
  assert.equal(model.training, false);
  const test = new GraphLoader(ds.graphs, pre, runSplit(state.run, ds).test, { batchSize: 32 });
  assert.equal(evaluate(model, test, state.run), res.test);
  assert.equal(evaluate(model, test, 'accuracy'), res.test); // the metric by name, without the run
  const last = loadTrainedModel(out, 'last');
  assert.equal(last.state.epoch, 2);
  const opt = loadOptimizerState(last.dir, readCheckpointState(last.dir));
  assert.ok(opt !== null && typeof opt === 'object');
});

test('moleculeGraphs: SMILES featurised exactly as the ZINC graphs of the same molecules; a bad one is named', async () => {
  assert.deepEqual([...MOLECULE_DATASETS], ['ZINC', 'ogbg-molhiv']);
  assert.ok(existsSync(ZINC), `${ZINC} missing: the tests read ../shared/datasets`);
  const ds = await loadDatasetByName('ZINC', join(ZINC, '..'));
  const rows = readFileSync(join(ZINC, 'subset', 'test.jsonl'), 'utf8').trim().split('\n').slice(0, 8).map((l) => JSON.parse(l) as { smiles: string });
  const graphs = await moleculeGraphs(rows.map((r) => r.smiles), 'ZINC');
  for (const [k, g] of graphs.entries()) {
    const want = ds.graphs[ds.officialSplit!.test[k]];
    assert.equal(g.numNodes, want.numNodes, `molecule ${k}: atom count`);
    assert.equal(g.edgeIndex.length, want.edgeIndex.length, `molecule ${k}: bond count`);
    assert.ok(Number.isNaN(g.y[0]));
    assert.deepEqual([...g.nodeCat!], [...want.nodeCat!], `molecule ${k}: atom types`);
  }
  await assert.rejects(moleculeGraphs(['CCO', 'C(C'], 'ZINC'), /SMILES #2 "C\(C"/);
});

test('DataError names the file; clearCache empties a cache folder', async () => {
  const bad = join(tmp, 'bad.safetensors');
  writeFileSync(bad, Buffer.from([1, 2, 3]));
  assert.throws(() => readSafetensors(bad), (e: Error) => e instanceof DataError && e.file === bad && /too short for a safetensors header/.test(e.message));
  const home = join(tmp, 'cache');
  const ds = await loadDatasetByName('MUTAG');
  await preprocessDataset(ds, { pe: { kind: 'rwse', dim: 4 }, cacheDir: home, progress: false });
  assert.ok(clearCache(home) >= 1);
  assert.equal(clearCache(home), 0);
});
