// scripts/collect-results.ts (the docs/RESULTS.md table): experiments of one dataset,
// protocol, budget and settings pool into one row; other settings get their own row;
// an experiment extended with more runs pools its finished runs whatever its (older)
// results.csv says; an unfinished run gets a row of its own at its best validation
// epoch so far.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runExperiment } from '../src/train/experiment.js';
import { parseGrid } from '../src/train/grid.js';
import { meanStd } from '../src/util/stats.js';
import { buildRunConfig, type Overrides } from '../src/train/runconfig.js';
import { train } from '../src/train/trainer.js';
import { mutag, tmp, TINY } from './report_helpers.js';

const root = tmp('collect');
after(() => rmSync(root, { recursive: true, force: true }));

test('collect-results pools matching experiments, separates other settings and unfinished runs', async () => {
  const data = await mutag();
  const base = { preset: 'MUTAG', protocol: 'seeds' as const, data, dataRoot: null };
  const a = runExperiment({ ...base, runs: 2, seed: 0, overrides: { ...TINY, train: { epochs: 3 } }, outDir: join(root, 'a') });
  // Seeds 2.. in a second folder, then extended (as --resume --runs 2 would) and
  // interrupted: run-0 (seed 2) finished, run-1 (seed 3) stopped after epoch 1 of 2,
  // and results.csv still lists run-0 alone.
  const b = runExperiment({ ...base, runs: 1, seed: 2, overrides: { ...TINY, train: { epochs: 3 } }, outDir: join(root, 'b') });
  train({ run: buildRunConfig(data.ds, 'MUTAG', { ...TINY, train: { epochs: 2 } }, 3), data, outDir: join(root, 'b', 'run-1'), untilEpoch: 1 });
  const g = runExperiment({ ...base, runs: 1, seed: 0, overrides: { model: { ...TINY.model, gamma: 0.7 }, train: { epochs: 1 } }, outDir: join(root, 'g') });

  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'scripts', 'collect-results.ts'),
    join(root, 'a'), join(root, 'b'), join(root, 'g')], { encoding: 'utf8' });
  const rows = out.trim().split('\n').slice(2).map((l) => l.split('|').map((c) => c.trim()));
  assert.equal(rows.length, 3, out);
  const pooled = meanStd([...a.runs, ...b.runs].map((r) => r.test * 100));
  assert.equal(rows[0][1], 'a, b');
  assert.match(rows[0][3], /^channels 16, num_layers 2, pe_dim 8$/); // TINY vs the MUTAG preset (4 heads there too)
  assert.equal(rows[0][5], '3 (seeds 0,1,2)');
  assert.equal(rows[0][8], `${pooled.mean.toFixed(2)} +- ${pooled.std.toFixed(2)}`);
  // b/run-1: one epoch of two, its figures at that (the only) epoch.
  const partial = JSON.parse(readFileSync(join(root, 'b', 'run-1', 'log.jsonl'), 'utf8').trim().split('\n')[0]);
  assert.equal(rows[1][1], 'b');
  assert.equal(rows[1][5], '1 (seeds 3)');
  assert.equal(rows[1][6], '1 of 2 (unfinished)');
  assert.equal(rows[1][8], `${(partial.test * 100).toFixed(2)} +- 0.00`);
  assert.equal(rows[2][1], 'g');
  assert.match(rows[2][3], /gamma 0\.7/);
  assert.equal(rows[2][8], `${(g.test.mean * 100).toFixed(2)} +- 0.00`);

  // --optimistic: the best test value over each run's epochs, beside the real result.
  const opt = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'scripts', 'collect-results.ts'),
    '--optimistic', join(root, 'a'), join(root, 'b')], { encoding: 'utf8' });
  const orow = opt.trim().split('\n')[2].split('|').map((c) => c.trim());
  const bestTests = ['a/run-0', 'a/run-1', 'b/run-0'].map((r) => Math.max(...readFileSync(join(root, r, 'log.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l)).filter((o) => !o.final).map((o) => o.test * 100)));
  const m = meanStd(bestTests);
  assert.equal(orow[7], `${pooled.mean.toFixed(2)} +- ${pooled.std.toFixed(2)}`);
  assert.equal(orow[8], `${m.mean.toFixed(2)} +- ${m.std.toFixed(2)}`);
  assert.ok(m.mean >= pooled.mean);
});

test('collect-results names depth, decay off and training fraction in the settings column, and the generic TU preset reads "preset"', async () => {
  const data = await mutag();
  // Run folders as gradformer experiment writes them (a real config.json), with a short log written here.
  const folder = (name: string, preset: string, over: Overrides, test: number) => {
    const dir = join(root, 'settings', name, 'run-0');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(buildRunConfig(data.ds, preset, over, 0)));
    writeFileSync(join(dir, 'log.jsonl'), [
      JSON.stringify({ epoch: 1, train_loss: 0.5, val: 0.8, test, metric: 'accuracy', lr: 0.001, epoch_seconds: 1, eval_seconds: 0.1 }),
      JSON.stringify({ final: true, best_epoch: 1, val: 0.8, test, metric: 'accuracy' })].join('\n') + '\n');
    return join(root, 'settings', name);
  };
  const dirs = [
    folder('depth12-gps', 'MUTAG', { model: { num_layers: 12, decay: false } }, 0.7),
    folder('frac05', 'MUTAG', { train: { train_fraction: 0.05 } }, 0.6),
    folder('generic', 'TU', {}, 0.5),
  ];
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'scripts', 'collect-results.ts'), ...dirs], { encoding: 'utf8' });
  const rows = out.trim().split('\n').slice(2).map((l) => l.split('|').map((c) => c.trim()));
  assert.deepEqual(rows.map((r) => [r[1], r[3], r[8]]), [
    ['depth12-gps', 'num_layers 12, decay false', '70.00 +- 0.00'],
    ['frac05', 'train_fraction 0.05', '60.00 +- 0.00'],
    ['generic', 'preset', '50.00 +- 0.00'], // TU on MUTAG: the same values as MUTAG's no-script preset
  ]);
});

test('collect-results reads a grid experiment: one row per point', async () => {
  const data = await mutag();
  const res = runExperiment({ preset: 'MUTAG', protocol: 'seeds', data, dataRoot: null, runs: 2, seed: 0, overrides: { ...TINY, train: { epochs: 1 } },
    grid: parseGrid(['gamma=0.6,0.9']), outDir: join(root, 'grid') });
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'scripts', 'collect-results.ts'), join(root, 'grid')], { encoding: 'utf8' });
  const rows = out.trim().split('\n').slice(2).map((l) => l.split('|').map((c) => c.trim()));
  assert.equal(rows.length, 2, out);
  for (const [k, gamma] of ['0.6', '0.9'].entries()) {
    const p = res.points![k];
    assert.match(rows[k][3], new RegExp(`gamma ${gamma.replace('.', '\\.')}`));
    assert.equal(rows[k][5], '2 (seeds 0,1)');
    assert.equal(rows[k][8], `${(p.test.mean * 100).toFixed(2)} +- ${(p.test.std * 100).toFixed(2)}`);
  }
});
