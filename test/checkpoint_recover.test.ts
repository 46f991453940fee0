// A save killed in the middle of saveCheckpoint's folder swap, or a log line torn by a kill: the run folder is
// repaired on resume (the previous checkpoint renamed back, stale temporaries
// removed) and the run goes on bit for bit; without the repair `last/` is missing
// and an experiment would restart the run from scratch over its log.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { preprocessDataset } from '../src/data/preprocess.js';
import { readCheckpointState, recoverCheckpoint } from '../src/train/checkpoint.js';
import { loadDatasetByName } from '../src/train/data.js';
import { readRunFolder } from '../src/train/experiment.js';
import { parseLog } from '../src/train/runlog.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { train } from '../src/train/trainer.js';

const tmp = mkdtempSync(join(tmpdir(), 'gf-recover-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const ds = await loadDatasetByName('MUTAG');
const run = buildRunConfig(ds, 'MUTAG', { model: { num_layers: 1, channels: 32, nhead: 2 }, train: { epochs: 3, batch_size: 32 } }, 5);
const pre = await preprocessDataset(ds, { pe: run.train.pe, noCache: true, progress: false });
const DEAD = 2 ** 22 + 12345; // above Linux's default pid_max: no live process has it

/** The run folder as a save killed between `rename(last, last.old-PID)` and `rename(last.tmp-PID, last)` leaves it after `epochs`. */
function interrupted(name: string, epochs: number): string {
  const dir = join(tmp, name);
  train({ run, data: { ds, pre }, outDir: dir, untilEpoch: epochs });
  renameSync(join(dir, 'last'), join(dir, `last.old-${DEAD}`));
  mkdirSync(join(dir, `last.tmp-${DEAD}`)); // the new checkpoint, half written
  writeFileSync(join(dir, `last.tmp-${DEAD}`, 'model.safetensors'), 'partial');
  return dir;
}

test('resume after a save killed mid-swap: previous checkpoint restored, same weights and log as an uninterrupted run', () => {
  const whole = train({ run, data: { ds, pre }, outDir: join(tmp, 'whole') });
  const dir = interrupted('cut', 2);
  assert.equal(existsSync(join(dir, 'last')), false);
  const r = train({ run, data: { ds, pre }, outDir: dir, resume: true });
  assert.equal(r.finished, true);
  assert.deepEqual(readdirSync(dir).sort(), ['best', 'config.json', 'env.json', 'last', 'log.jsonl']);
  assert.deepEqual(readFileSync(join(dir, 'last', 'model.safetensors')), readFileSync(join(tmp, 'whole', 'last', 'model.safetensors')));
  assert.deepEqual(readFileSync(join(dir, 'last', 'optimizer.safetensors')), readFileSync(join(tmp, 'whole', 'last', 'optimizer.safetensors')));
  const losses = (p: string) => readFileSync(join(p, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((o) => [o.epoch, o.train_loss, o.val]);
  assert.deepEqual(losses(dir), losses(join(tmp, 'whole')));
  assert.equal(r.test, whole.test);
});

test('an experiment sees such a folder as interrupted (not empty, which would retrain it over its log)', () => {
  const dir = interrupted('plan', 1);
  const f = readRunFolder(dir);
  assert.equal(f.kind, 'interrupted');
  assert.equal(f.kind === 'interrupted' && f.epoch, 1);
  assert.equal(readCheckpointState(join(dir, 'last')).epoch, 1);
  assert.equal(existsSync(join(dir, `last.tmp-${DEAD}`)), false);
});

test('recoverCheckpoint: stale leftovers beside a good folder go; a live process\'s folders and a missing folder without a previous one stay as they are', () => {
  const dir = join(tmp, 'left');
  train({ run, data: { ds, pre }, outDir: dir, untilEpoch: 1 });
  mkdirSync(join(dir, `best.old-${DEAD}`));
  mkdirSync(join(dir, `best.tmp-${DEAD}`));
  const live = `best.tmp-${process.ppid}`; // the test runner: alive
  mkdirSync(join(dir, live));
  const d = recoverCheckpoint(join(dir, 'best'));
  assert.deepEqual({ ...d, removed: d.removed.sort() }, { restored: null, removed: [`best.old-${DEAD}`, `best.tmp-${DEAD}`] });
  assert.ok(existsSync(join(dir, live)) && existsSync(join(dir, 'best', 'state.json')));
  // last/ missing with only a half-written new one: nothing to restore (and nothing invented).
  rmSync(join(dir, 'last'), { recursive: true });
  mkdirSync(join(dir, `last.tmp-${DEAD}`));
  assert.deepEqual(recoverCheckpoint(join(dir, 'last')), { restored: null, removed: [`last.tmp-${DEAD}`] });
  assert.throws(() => train({ run, data: { ds, pre }, outDir: dir, resume: true }), /holds no checkpoint/);
});

test('a log line torn by a kill (no newline, not JSON) is dropped on resume; a damaged line elsewhere is a DataError naming file:line', () => {
  const dir = join(tmp, 'torn');
  train({ run, data: { ds, pre }, outDir: dir, untilEpoch: 2 });
  appendFileSync(join(dir, 'log.jsonl'), '{"epoch":3,"train_loss":0.4');
  assert.equal(parseLog(readFileSync(join(dir, 'log.jsonl'), 'utf8')).torn, 1);
  const f = readRunFolder(dir);
  assert.equal(f.kind === 'interrupted' && f.epoch, 2);
  train({ run, data: { ds, pre }, outDir: dir, resume: true });
  assert.deepEqual(readFileSync(join(dir, 'last', 'model.safetensors')), readFileSync(join(tmp, 'whole', 'last', 'model.safetensors')));
  const strip = (p: string) => readFileSync(join(p, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((o) => [o.epoch, o.train_loss, o.val, o.best_epoch]);
  assert.deepEqual(strip(dir), strip(join(tmp, 'whole')));
  const text = readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n');
  text[1] = text[1].slice(0, 20);
  writeFileSync(join(dir, 'log.jsonl'), text.join('\n'));
  assert.throws(() => parseLog(text.join('\n'), 'L'), { name: 'DataError', message: /^L:2: not JSON \(.*\); the run folder's log is damaged$/ });
  assert.throws(() => train({ run, data: { ds, pre }, outDir: dir, resume: true }), { name: 'DataError', message: /log\.jsonl:2: not JSON/ });
});
