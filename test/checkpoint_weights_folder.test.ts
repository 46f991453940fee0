/**
 * A weights folder (config.json + model.safetensors, what the web page downloads)
 * as `--checkpoint` of eval and predict: it scores exactly as the run's best/
 * checkpoint, reports the epoch its weights' metadata records (or 'unknown'), and
 * a config.json that is no run configuration is one error line.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parseSafetensors, serializeSafetensors } from '../src/io/safetensors_format.js';
import { cliRunner } from './cli_helpers.js';

const base = mkdtempSync(join(tmpdir(), 'gf-weights-folder-'));
const cli = cliRunner(join(base, 'home'));
const run = join(base, 'run');

before(async () => {
  const r = await cli('train', '--dataset', 'MUTAG', '--epochs', '2', '--layers', '1', '--out', run, '--quiet');
  assert.equal(r.code, 0, r.stderr);
});

/** A folder with the run's config.json and best/model.safetensors, its metadata replaced by `metadata`. */
function weightsFolder(name: string, metadata: Record<string, string>): string {
  const dir = join(base, name);
  mkdirSync(dir);
  copyFileSync(join(run, 'config.json'), join(dir, 'config.json'));
  const { tensors } = parseSafetensors(readFileSync(join(run, 'best', 'model.safetensors')));
  writeFileSync(join(dir, 'model.safetensors'), serializeSafetensors(tensors, metadata));
  return dir;
}

test('eval and predict read a weights folder as the run\'s best checkpoint', async () => {
  const bestEpoch = JSON.parse(readFileSync(join(run, 'best', 'state.json'), 'utf8')).epoch as number;
  const dir = weightsFolder('web', { format: 'pt', epoch: String(bestEpoch) });
  const [a, b] = await Promise.all([cli('eval', '--checkpoint', dir, '--json'), cli('eval', '--checkpoint', run, '--json')]);
  assert.equal(a.code, 0, a.stderr);
  const ours = JSON.parse(a.stdout), ref = JSON.parse(b.stdout);
  assert.equal(ours.value, ref.value);
  assert.equal(ours.epoch, bestEpoch);
  assert.equal(ref.epoch, bestEpoch);
  const [p, q] = await Promise.all([cli('predict', '--checkpoint', dir, '--split', 'all'), cli('predict', '--checkpoint', run, '--split', 'all')]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.stdout, q.stdout);
  const bare = weightsFolder('bare', { format: 'pt' });
  const c = await cli('eval', '--checkpoint', bare);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /, epoch unknown\): accuracy /);
});

test('a config.json that is no run configuration is one error line', async () => {
  const dir = weightsFolder('bad', { format: 'pt' });
  writeFileSync(join(dir, 'config.json'), '{"hello": 1}\n');
  const r = await cli('eval', '--checkpoint', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^gradformer: error: .*config\.json is not a gradformer run configuration \(expected the config\.json of `gradformer train` or of the web page/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const empty = join(base, 'empty');
  mkdirSync(empty);
  const e = await cli('eval', '--checkpoint', empty);
  assert.match(e.stderr, /is not a checkpoint: .* or config\.json and model\.safetensors \(the web page's download\)/);
});
