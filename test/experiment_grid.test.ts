// `experiment --grid`: every point of the product runs the protocol in its own
// folder (named so it reads back), each point's runs equal a plain experiment
// with that option fixed, and one table covers the grid.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runExperiment } from '../src/train/experiment.js';
import { parseGrid } from '../src/index.js'; // the library's way in
import { gridPoints, pointFolder, pointOfFolder } from '../src/train/grid.js';
import { mutag, tmp, TINY } from './report_helpers.js';

const root = tmp('grid');
after(() => rmSync(root, { recursive: true, force: true }));

test('parseGrid checks keys and values like the options they replace', () => {
  assert.deepEqual(parseGrid(['gamma=0.5,0.7', 'n_hop=2,3']), [{ key: 'gamma', values: [0.5, 0.7] }, { key: 'n_hop', values: [2, 3] }]);
  assert.throws(() => parseGrid(['gama=0.5']), /--grid: unknown key 'gama'; accepted: gamma, n_hop/);
  assert.throws(() => parseGrid(['gamma=0.5,1.5']), /--grid gamma: expected a number in \(0, 1\], got '1.5'/);
  assert.throws(() => parseGrid(['layers=2.5']), /--grid layers: expected an integer >= 1, got '2.5'/);
  assert.throws(() => parseGrid(['gamma']), /--grid 'gamma': expected key=v1,v2/);
  assert.throws(() => parseGrid(['gamma=0.5', 'gamma=0.6']), /--grid gamma is given twice/);
  assert.throws(() => parseGrid(['lr=0.1,0.1']), /--grid lr: a value is repeated/);
  assert.throws(() => parseGrid(['gamma=0.5'], ['--gamma']), /--gamma and --grid gamma both set gamma; drop one/);
});

test('grid points: the first key varies slowest, and a folder name reads back as its point', () => {
  const pts = gridPoints(parseGrid(['gamma=0.5,0.7', 'n_hop=2,3']));
  assert.deepEqual(pts.map(pointFolder), ['gamma=0.5,n_hop=2', 'gamma=0.5,n_hop=3', 'gamma=0.7,n_hop=2', 'gamma=0.7,n_hop=3']);
  for (const p of pts) assert.deepEqual(pointOfFolder(pointFolder(p)), p);
  assert.equal(pointOfFolder('run-0'), null);
  assert.deepEqual(gridPoints([]), [{}]);
});

test('a grid experiment: one folder per point, runs equal to the fixed-option experiment, one table', async () => {
  const data = await mutag();
  const base = { preset: 'MUTAG', runs: 2, protocol: 'seeds' as const, seed: 1, data, dataRoot: null, overrides: { ...TINY, train: { epochs: 2 } } };
  const grid = parseGrid(['gamma=0.5,0.8', 'lr=0.001,0.01']);
  const res = runExperiment({ ...base, grid, outDir: join(root, 'g') });
  assert.deepEqual(readdirSync(join(root, 'g')).sort(), ['gamma=0.5,lr=0.001', 'gamma=0.5,lr=0.01', 'gamma=0.8,lr=0.001', 'gamma=0.8,lr=0.01', 'results.csv', 'results.md']);
  const cfg = JSON.parse(readFileSync(join(root, 'g', 'gamma=0.8,lr=0.01', 'run-1', 'config.json'), 'utf8'));
  assert.deepEqual([cfg.model.gamma, cfg.train.lr, cfg.seed], [0.8, 0.01, 2]);

  // The point gamma=0.8, lr=0.01 equals an experiment with those options fixed.
  const fixed = runExperiment({ ...base, overrides: { model: { ...TINY.model, gamma: 0.8 }, train: { epochs: 2, lr: 0.01 } }, outDir: join(root, 'fixed') });
  const point = res.points!.find((p) => pointFolder(p.point) === 'gamma=0.8,lr=0.01')!;
  assert.deepEqual(point.runs.map((r) => [r.seed, r.best_epoch, r.val, r.test]), fixed.runs.map((r) => [r.seed, r.best_epoch, r.val, r.test]));
  assert.deepEqual(point.test, fixed.test);
  // Different learning rates train differently (the grid value reaches the run).
  const losses = ['gamma=0.8,lr=0.001', 'gamma=0.8,lr=0.01'].map((p) => JSON.parse(readFileSync(join(root, 'g', p, 'run-0', 'log.jsonl'), 'utf8').split('\n')[0]).train_loss);
  assert.notEqual(losses[0], losses[1]);

  const csv = readFileSync(join(root, 'g', 'results.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'gamma,lr,run,seed,fold,best_epoch,val,test,seconds');
  assert.equal(csv.length, 1 + 4 * (2 + 2));
  assert.ok(csv.includes(`0.8,0.01,mean,,,,${fixed.val.mean},${fixed.test.mean},`));
  const md = readFileSync(join(root, 'g', 'results.md'), 'utf8');
  assert.match(md, /# MUTAG: 4 grid points x 2 runs/);
  assert.ok(md.includes(`| 0.8 | 0.01 | 2 | **${fixed.val.mean.toFixed(4)} +- ${fixed.val.std.toFixed(4)}** |`));
});
