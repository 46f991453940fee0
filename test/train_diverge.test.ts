// A NaN or infinite loss stops training with a message naming the epoch and the
// step, and the last good checkpoint (the epoch before) stays as it was.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { preprocessDataset } from '../src/data/preprocess.js';
import { readSafetensors, toNumbers } from '../src/io/safetensors.js';
import { readCheckpointState } from '../src/train/checkpoint.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { DivergedError, runSplit, train } from '../src/train/trainer.js';
import { cliRunner } from './cli_helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gf-diverge-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a NaN loss in epoch 2 stops the run there and keeps epoch 1 as the last good checkpoint', async () => {
  const ds = await loadDatasetByName('MUTAG'); // this test's own copy: its features are poisoned below
  const run = buildRunConfig(ds, 'MUTAG', { model: { num_layers: 1, channels: 24, nhead: 2 }, train: { epochs: 3, batch_size: 32 } }, 0);
  const pre = await preprocessDataset(ds, { pe: run.train.pe, noCache: true, progress: false });
  const out = join(tmp, 'run');
  const trainIdx = runSplit(run, ds).train;
  let err: unknown;
  try {
    train({
      run, data: { ds, pre }, outDir: out,
      onEvent: (e) => {
        // After epoch 1 (checkpointed), every training graph gets NaN features: epoch 2's first step diverges.
        if (e.type === 'epoch_end' && e.record.epoch === 1) for (const i of trainIdx) ds.graphs[i].nodeFeat!.fill(NaN);
      },
    });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof DivergedError, String(err));
  assert.equal(err.epoch, 2);
  assert.equal(err.step, 1);
  assert.ok(Number.isNaN(err.loss));
  assert.match(err.message, new RegExp(`loss is NaN at epoch 2, step 1; stopped, the last good checkpoint is ${join(out, 'last').replace(/[/\\]/g, '.')}`));
  const st = readCheckpointState(join(out, 'last'));
  assert.equal(st.epoch, 1);
  for (const [k, t] of readSafetensors(join(out, 'last', 'model.safetensors')).tensors) {
    assert.ok(Array.from(toNumbers(t)).every(Number.isFinite), `last/ weight ${k} is not finite`);
  }
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(log.map((l) => l.epoch ?? 'final'), [1]); // no line for the failed epoch, no final line
});

test('gradformer train: a diverging run exits with code 3 and says no checkpoint was written when epoch 1 fails', async () => {
  const cli = cliRunner(join(tmp, 'home'));
  const out = join(tmp, 'cli-run');
  const r = await cli('train', '--lr', '1e30', '--epochs', '2', '--layers', '1', '--channels', '24', '--heads', '2', '--quiet', '--out', out);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^gradformer: error: training diverged: loss is (NaN|-?Infinity) at epoch 1, step \d+; stopped, no checkpoint was written/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.ok(!existsSync(join(out, 'last')));
});
