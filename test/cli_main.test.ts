// The `gradformer` command end to end (dev entry point through tsx): error paths
// fail fast with what is accepted; verify-reference passes the shared fixtures
// and fails a corrupted copy; train -> eval -> predict -> resume -> experiment.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliRunner } from './cli_helpers.js';
import { parseSafetensors, serializeSafetensors } from '../src/io/safetensors.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'gf-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const cli = cliRunner(join(tmp, 'home'));

test('--version prints the package version and its commit', async () => {
  const [long, short] = await Promise.all([cli('--version'), cli('-V')]);
  const version = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')).version as string;
  for (const r of [long, short]) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^gradformer ${version.replace(/\./g, '\\.')} \\([0-9a-f]{12}(, with uncommitted changes)?\\)\n$`));
  }
});

test('error paths fail fast and say what is accepted', async () => {
  const [unknownOpt, unknownDs, badEnum, badInt, gine, noCkpt, kfoldRuns, badFold] = await Promise.all([
    cli('train', '--bogus'),
    cli('train', '--dataset', 'FOO'),
    cli('train', '--optimizer', 'rmsprop'),
    cli('train', '--epochs', 'ten'),
    cli('train', '--dataset', 'PROTEINS', '--mpnn', 'GINE', '--epochs', '1'),
    cli('eval', '--checkpoint', join(tmp, 'no-such-run')),
    cli('experiment', '--preset', 'MUTAG', '--protocol', 'kfold', '--runs', '11'),
    cli('train', '--split', 'kfold10', '--fold', '10', '--epochs', '1', '--quiet', '--out', join(tmp, 'bad-fold')),
  ]);
  assert.notEqual(unknownOpt.code, 0);
  assert.match(unknownOpt.stderr, /unknown option '--bogus'/);
  assert.match(unknownOpt.stderr, /--help/);
  assert.notEqual(unknownDs.code, 0);
  assert.match(unknownDs.stderr, /unknown dataset 'FOO': no preset, and no TU folder FOO\/ .*; datasets with a preset: MUTAG, PROTEINS, NCI1/);
  assert.notEqual(badEnum.code, 0);
  assert.match(badEnum.stderr, /Allowed choices are adam, adamw, sgd/);
  assert.notEqual(badInt.code, 0);
  assert.match(badInt.stderr, /expected an integer >= 1, got 'ten'/);
  assert.equal(gine.code, 1);
  assert.match(gine.stderr, /GINE needs edge features, and dataset PROTEINS has none; accepted --mpnn for PROTEINS: GIN/);
  assert.doesNotMatch(gine.stderr, /\n\s+at /); // a message, not a stack trace
  assert.equal(noCkpt.code, 1);
  assert.match(noCkpt.stderr, /no-such-run does not exist; pass a run folder/);
  assert.equal(kfoldRuns.code, 1);
  assert.match(kfoldRuns.stderr, /accepted --runs: 1\.\.10/);
  // Split errors come from the data layer (src/data/splits.ts) and still print as one line.
  assert.equal(badFold.code, 1);
  assert.match(badFold.stderr, /gradformer: error: split: fold must be 0\.\.9 for kfold10, got 10/);
  assert.doesNotMatch(badFold.stderr, /\n\s+at /);
});

test('verify-reference: the three fixtures pass, a corrupted copy fails', async () => {
  const bad = join(tmp, 'tu_gin_bad.safetensors');
  const { tensors, metadata } = parseSafetensors(readFileSync(join(FIXTURES, 'tu_gin.safetensors')));
  (tensors.get('output.eval')!.data as Float32Array)[3] += 0.01;
  writeFileSync(bad, serializeSafetensors(tensors, metadata));
  copyFileSync(join(FIXTURES, 'tu_gin.json'), join(tmp, 'tu_gin_bad.json'));
  const runs = await Promise.all([...['tu_gin', 'zinc_gine', 'gatedgcn'].map((f) => cli('verify-reference', join(FIXTURES, `${f}.safetensors`))),
    cli('verify-reference', bad)]);
  for (const r of runs.slice(0, 3)) {
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /gradients .* max abs .* max rel/);
    assert.match(r.stdout, /all groups within tolerance/);
  }
  assert.equal(runs[3].code, 1);
  assert.match(runs[3].stdout, /eval output .*FAIL \(worst: output\.eval\)/);
});

test('train -> eval -> predict -> resume -> experiment on MUTAG (tiny model)', async () => {
  const out = join(tmp, 'run');
  const tiny = ['--layers', '1', '--channels', '24', '--heads', '2', '--batch-size', '64'];
  const tr = await cli('train', '--dataset', 'MUTAG', '--epochs', '1', '--out', out, ...tiny);
  assert.equal(tr.code, 0, tr.stderr);
  const m = /test accuracy (\d\.\d{4})/.exec(tr.stdout);
  assert.ok(m, tr.stdout);
  assert.match(tr.stderr, /epoch 1: loss/); // one line per epoch when not a TTY
  for (const f of ['config.json', 'log.jsonl', 'best/model.safetensors', 'best/optimizer.safetensors', 'best/state.json', 'last/state.json']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const [ev, pj, pc] = await Promise.all([
    cli('eval', '--checkpoint', out, '--json'),
    cli('predict', '--checkpoint', out, '--split', 'test'),
    cli('predict', '--checkpoint', out, '--split', 'val', '--format', 'csv'),
  ]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).value.toFixed(4), m[1]); // eval reproduces the test metric of the run
  const preds = JSON.parse(pj.stdout).predictions;
  assert.equal(preds.length, 20);
  assert.ok(preds.every((p: { prediction: number; probabilities: number[] }) => p.probabilities.length === 2 && (p.prediction === 0 || p.prediction === 1)));
  assert.equal(pc.stdout.trim().split('\n').length, 19); // header + 18 validation graphs
  assert.match(pc.stdout, /^id,prediction,probabilities\n/);
  const rs = await cli('train', '--resume', out, '--epochs', '2');
  assert.equal(rs.code, 0, rs.stderr);
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(log.map((l) => l.epoch ?? 'final'), [1, 2, 'final']);
  const ex = await cli('experiment', '--preset', 'MUTAG', '--runs', '2', '--epochs', '1', '--out', join(tmp, 'exp'), ...tiny);
  assert.equal(ex.code, 0, ex.stderr);
  assert.match(ex.stdout, /test accuracy \d\.\d{4} \+- \d\.\d{4}/);
  const csv = readFileSync(join(tmp, 'exp', 'results.csv'), 'utf8');
  assert.match(csv, /^run,seed,fold,best_epoch,val,test,seconds\n0,0,0,1,/);
  assert.match(readFileSync(join(tmp, 'exp', 'results.md'), 'utf8'), /\*\*mean \+- std\*\*/);
  // Run again: refused without --resume (nothing overwritten); with it the finished runs are reused as they are.
  const again = await cli('experiment', '--preset', 'MUTAG', '--runs', '2', '--epochs', '1', '--out', join(tmp, 'exp'), ...tiny);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /gradformer: error: experiment: .*run-0 already holds a finished run; pass --resume/);
  const reused = await cli('experiment', '--preset', 'MUTAG', '--runs', '2', '--epochs', '1', '--out', join(tmp, 'exp'), '--resume', ...tiny);
  assert.equal(reused.code, 0, reused.stderr);
  assert.match(reused.stderr, /\[run 1\/2\] finished earlier: reused\n\[run 2\/2\] finished earlier: reused/);
  assert.equal(reused.stdout, ex.stdout);
});

test('datasets lists every preset dataset: bundled MUTAG found, SBM sets generated, others found or downloadable', async () => {
  const r = await cli('datasets');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^MUTAG\s+found\s+\S+/m);
  assert.match(r.stdout, /^CLUSTER\s+generated on first use/m);
  assert.match(r.stdout, /^PATTERN\s+generated on first use/m);
  for (const name of ['PROTEINS', 'NCI1', 'IMDB-BINARY', 'COLLAB', 'ZINC', 'ogbg-molhiv']) {
    assert.match(r.stdout, new RegExp(`^${name}\\s+(found\\s+\\S+|missing \\(gradformer datasets --download ${name}\\))`, 'm'));
  }
});

test('the built bin (dist/src/cli/main.js, made by npm ci / npm run build) runs as an executable, as npx gradformer does', async () => {
  const bin = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
  assert.ok(existsSync(bin), `${bin} missing: run npm run build (npm ci does it)`);
  const r = await new Promise<{ code: number; stdout: string }>((res) => {
    execFile(bin, ['--help'], (err, stdout) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout }));
  });
  assert.equal(r.code, 0, 'the bin must be executable with a node shebang');
  assert.match(r.stdout, /Usage: gradformer/);
});
