// `experiment --resume`: an interrupted protocol continues where it stopped and gives
// the numbers of an uninterrupted one; finished runs are reused untouched; an
// experiment folder is never overwritten by mistake; changed settings are refused.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runExperiment, writeResults, type ExperimentOptions, type RunStart } from '../src/train/experiment.js';
import { meanStd } from '../src/util/stats.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { train } from '../src/train/trainer.js';
import { mutag, tmp, TINY } from './report_helpers.js';

const root = tmp('experiment');
after(() => rmSync(root, { recursive: true, force: true }));

async function options(outDir: string, runs: number, extra: Partial<ExperimentOptions> = {}): Promise<ExperimentOptions> {
  return { preset: 'MUTAG', runs, protocol: 'seeds', seed: 5, data: await mutag(), overrides: { ...TINY, train: { epochs: 3 } }, outDir, dataRoot: null, ...extra };
}

const epochsOf = (dir: string) => readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch ?? 'final');

test('an interrupted experiment resumed gives the numbers of an uninterrupted one, bit for bit', async () => {
  const whole = runExperiment(await options(join(root, 'whole'), 2));

  // The same protocol, stopped during run 1 (seed 6) after its first epoch.
  const cut = join(root, 'cut');
  runExperiment(await options(cut, 1));
  const data = await mutag();
  train({ run: buildRunConfig(data.ds, 'MUTAG', { ...TINY, train: { epochs: 3 } }, 6), data, outDir: join(cut, 'run-1'), untilEpoch: 1 });
  const run0Model = statSync(join(cut, 'run-0', 'best', 'model.safetensors')).mtimeMs;

  const starts: [number, RunStart][] = [];
  const resumed = runExperiment(await options(cut, 2, { resume: true, onRunStart: (i, how) => starts.push([i, how]) }));
  assert.deepEqual(starts, [[0, { kind: 'reused' }], [1, { kind: 'resumed', epoch: 1 }]]);
  assert.deepEqual(resumed.runs.map((r) => [r.seed, r.best_epoch, r.val, r.test]), whole.runs.map((r) => [r.seed, r.best_epoch, r.val, r.test]));
  assert.equal(resumed.test.mean, whole.test.mean);
  assert.deepEqual(epochsOf(join(cut, 'run-1')), [1, 2, 3, 'final']);
  assert.equal(statSync(join(cut, 'run-0', 'best', 'model.safetensors')).mtimeMs, run0Model, 'a reused run is not rewritten');
  assert.equal(readFileSync(join(cut, 'results.csv'), 'utf8').split('\n').length, readFileSync(join(root, 'whole', 'results.csv'), 'utf8').split('\n').length);

  // More runs later: the finished ones are reused, only the new one trains.
  starts.length = 0;
  const more = runExperiment(await options(cut, 3, { resume: true, onRunStart: (i, how) => starts.push([i, how]) }));
  assert.deepEqual(starts.map(([, h]) => h.kind), ['reused', 'reused', 'fresh']);
  assert.deepEqual(more.runs.map((r) => r.seed), [5, 6, 7]);
});

test('an experiment folder that holds runs is not overwritten without --resume', async () => {
  const dir = join(root, 'guard');
  runExperiment(await options(dir, 1, { overrides: { ...TINY, train: { epochs: 1 } } }));
  const before = readFileSync(join(dir, 'run-0', 'log.jsonl'), 'utf8');
  await assert.rejects(async () => runExperiment(await options(dir, 1, { overrides: { ...TINY, train: { epochs: 1 } } })),
    /run-0 already holds a finished run; pass --resume to reuse finished runs and continue interrupted ones, or choose another --out/);
  assert.equal(readFileSync(join(dir, 'run-0', 'log.jsonl'), 'utf8'), before);
});

test('--resume refuses runs made with other settings and names the setting', async () => {
  const dir = join(root, 'changed');
  runExperiment(await options(dir, 1, { overrides: { ...TINY, train: { epochs: 1 } } }));
  await assert.rejects(async () => runExperiment(await options(dir, 1, { resume: true, overrides: { model: { ...TINY.model, gamma: 0.9 }, train: { epochs: 1 } } })),
    /run-0 holds a finished run with other settings \(model\.gamma: stored 0\.5, asked 0\.9\)/);
  await assert.rejects(async () => runExperiment(await options(dir, 1, { resume: true, overrides: { ...TINY, train: { epochs: 2 } } })),
    /train\.epochs: stored 1, asked 2/);
});

test('results.md names runs whose metric is non-finite instead of hiding them in the mean', async () => {
  const data = await mutag();
  const config = buildRunConfig(data.ds, 'MUTAG', TINY, 0);
  const runs = [0.5, NaN, 0.7].map((test, run) => ({ run, seed: run, fold: 0, best_epoch: 1, val: 0.6, test, seconds: 1 }));
  const dir = join(root, 'nonfinite');
  mkdirSync(dir, { recursive: true });
  writeResults(dir, { runs, metric: 'accuracy', config, val: meanStd(runs.map((r) => r.val)), test: meanStd(runs.map((r) => r.test)) }, 'seeds');
  const md = readFileSync(join(dir, 'results.md'), 'utf8');
  assert.match(md, /\*\*0\.6000 \+- 0\.1000\*\*/); // mean +- std of 0.5 and 0.7
  assert.match(md, /the means are over 3 \(val\) and 2 \(test\) of 3 runs/);
  assert.match(readFileSync(join(dir, 'results.csv'), 'utf8'), /^1,1,0,1,0\.6,NaN,/m);
});
