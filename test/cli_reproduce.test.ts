// `gradformer reproduce` on a committed results/ run (the first 2 epochs, bit for
// bit), on a copy whose log was changed by one unit in the last place (exit 2,
// the epoch and field named), its input errors; and `gradformer cache`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliRunner } from './cli_helpers.js';
import { PRE_VERSIONS } from '../src/data/pre_versions.js';
import { preprocessCacheDir } from '../src/data/cache.js';
import { environmentDifferences, firstLogDifference } from '../src/train/reproduce.js';
import type { LogEpoch } from '../src/train/runlog.js';

const root = join(import.meta.dirname, '..');
/** Made on commit bdd98d5 with the MUTAG preset on the official split; reproduced bit for bit by this code. */
const RUN = join(root, 'results', 'mutag-torchsplit', 'run-0');
/** The bundled MUTAG (data/MUTAG) is byte-identical to the ../shared/datasets copy the run recorded. */
const DATA = join(root, 'data');

test('reproduce: the first 2 epochs of a committed results/ run are identical bit for bit', async () => {
  const home = mkdtempSync(join(tmpdir(), 'gf-repro-'));
  try {
    const out = join(home, 'rerun');
    const r = await cliRunner(home)('reproduce', RUN, '--epochs', '2', '--data-root', DATA, '--out', out, '--quiet');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /\(MUTAG, seed 0, epochs 1-2 of 100 recorded\):\nidentical \(train_loss, val, test, lr, hop; epochs 1-2\)/);
    // the recorded env.json predates versions; the re-run records the current ones
    assert.match(r.stdout, new RegExp(`preprocess_rwse: unknown \\(recorded before versions existed\\) -> ${PRE_VERSIONS.rwse}`));
    const env = JSON.parse(readFileSync(join(out, 'env.json'), 'utf8'));
    assert.equal(env.preprocess_rwse, PRE_VERSIONS.rwse);
    assert.equal(env.preprocess_spd, PRE_VERSIONS.spd);
    // the cache holds one entry of the current versions
    const c = await cliRunner(home)('cache');
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, new RegExp(`^MUTAG-rwse20-\\S+\\.gfpre  \\S+ MiB  spd ${PRE_VERSIONS.spd}, rwse ${PRE_VERSIONS.rwse}  current\\n1 files in .*, 0 stale;`));
  } finally { rmSync(home, { recursive: true }); }
});

test('reproduce: a log differing in one bit is reported with its epoch, field and both values (exit 2)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'gf-repro-'));
  try {
    const copy = join(home, 'run');
    cpSync(RUN, copy, { recursive: true });
    const lines = readFileSync(join(copy, 'log.jsonl'), 'utf8').trim().split('\n');
    const e2 = JSON.parse(lines[1]);
    const was = e2.hop[2];
    // the next float64 above the recorded value
    const b = new Float64Array([was]); new BigInt64Array(b.buffer)[0] += 1n;
    e2.hop[2] = b[0];
    lines[1] = JSON.stringify(e2);
    writeFileSync(join(copy, 'log.jsonl'), lines.join('\n') + '\n');
    const temps = () => readdirSync(tmpdir()).filter((f) => f.startsWith('gradformer-reproduce-')).length;
    const before = temps();
    const r = await cliRunner(home)('reproduce', copy, '--epochs', '2', '--data-root', DATA, '--quiet');
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.ok(r.stdout.includes(`differs at epoch 2, hop[2]: recorded ${b[0]}, reproduced ${was}\n`), r.stdout);
    assert.equal(temps(), before, 'the temporary re-run folder is deleted');
  } finally { rmSync(home, { recursive: true }); }
});

test('reproduce: bad input is one line naming what to fix', async () => {
  const home = mkdtempSync(join(tmpdir(), 'gf-repro-'));
  try {
    const run = cliRunner(home);
    let r = await run('reproduce', RUN, '--epochs', '101', '--data-root', DATA);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^gradformer: error: --epochs 101: .*log\.jsonl records only 100 epochs; give at most 100\n$/);
    const moved = join(home, 'moved');
    cpSync(RUN, moved, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(moved, 'config.json'), 'utf8'));
    writeFileSync(join(moved, 'config.json'), JSON.stringify({ ...cfg, data_root: join(home, 'no-such-folder') }));
    r = await run('reproduce', moved);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^gradformer: error: the run read MUTAG from .*no-such-folder \(data_root in .*config\.json\), which this machine does not have; pass --data-root <dir> with the same MUTAG\/ files in it\n$/);
    r = await run('reproduce', home);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^gradformer: error: .* has no config\.json; pass a run folder written by gradformer train or experiment/);
    r = await run('reproduce', RUN, '--out', RUN);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--out .* already holds files \(a run\)|--out .* already holds files/);
    r = await run('cache', '--all');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--all goes with --clean/);
  } finally { rmSync(home, { recursive: true }); }
});

test('cache --clean deletes the entries of other versions only', async () => {
  const home = mkdtempSync(join(tmpdir(), 'gf-repro-'));
  try {
    const run = cliRunner(home);
    const dir = preprocessCacheDir(home);
    // an entry of the current versions, made by a 1-epoch run
    let r = await run('train', '--dataset', 'MUTAG', '--data-root', DATA, '--epochs', '1', '--out', join(home, 'r'), '--quiet');
    assert.equal(r.code, 0, r.stderr);
    const current = readdirSync(dir);
    assert.equal(current.length, 1);
    // a file written before versions existed: magic + header without versions
    const header = Buffer.from(JSON.stringify({ key: 'old', numGraphs: 0, peDim: 20, nodes: 0, spd: 0 }));
    const head = Buffer.alloc(12); head.write('GFPRE001', 0, 'latin1'); head.writeUInt32LE(header.length, 8);
    writeFileSync(join(dir, 'MUTAG-rwse20-old.gfpre'), Buffer.concat([head, header]));
    r = await run('cache');
    assert.match(r.stdout, /MUTAG-rwse20-old\.gfpre  0\.0 MiB  no versions \(written before versions existed\)  stale/);
    assert.match(r.stdout, /2 files in .*, 1 stale \(gradformer cache --clean deletes them\)/);
    r = await run('cache', '--clean');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deleted MUTAG-rwse20-old\.gfpre .*\ndeleted 1 stale files/);
    assert.deepEqual(readdirSync(dir), current);
  } finally { rmSync(home, { recursive: true }); }
});

test('log comparison: bit for bit on the deterministic fields only; environment differences name unknown versions', () => {
  const line = (o: Partial<LogEpoch> = {}): LogEpoch => ({ epoch: 1, train_loss: 0.5, val: 0.25, test: 0.125, metric: 'accuracy', lr: 1e-3, epoch_seconds: 1, hop: [5, 5], ...o });
  assert.equal(firstLogDifference([line()], [line({ epoch_seconds: 9, peak_rss_mb: 3 })], 1), null);
  assert.deepEqual(firstLogDifference([line()], [line({ test: -0.125 })], 1), { epoch: 1, field: 'test', recorded: 0.125, reproduced: -0.125 });
  assert.deepEqual(firstLogDifference([line({ val: 0 })], [line({ val: -0 })], 1)?.field, 'val');
  assert.equal(firstLogDifference([line({ train_loss: NaN })], [line({ train_loss: NaN })], 1), null);
  assert.deepEqual(firstLogDifference([line(), line({ epoch: 2 })], [line()], 2), { epoch: 2, field: 'epoch', recorded: 2, reproduced: 'missing' });
  const old = line(); delete old.hop; // logs before hop was logged: not compared
  assert.equal(firstLogDifference([old], [line()], 1), null);
  const now = { gradformer: '0.1.0', commit: 'b', backend: 'native', threads: 1, preprocess_spd: 1, preprocess_rwse: 2, preprocess_lappe: 1 };
  assert.deepEqual(environmentDifferences({ gradformer: '0.1.0', commit: 'a', backend: 'native', threads: 2 }, now, 'rwse').map((d) => [d.key, d.recorded, d.now]), [
    ['commit', 'a', 'b'], ['threads', '2', '1'],
    ['preprocess_spd', 'unknown (recorded before versions existed)', '1'], ['preprocess_rwse', 'unknown (recorded before versions existed)', '2'],
  ]);
});
