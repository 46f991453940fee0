// Error paths of the `gradformer` command found by a new-user audit: each is one
// line `gradformer: error: ...` naming the option, file or folder and what to do,
// with no stack trace, and nothing a user already has is overwritten.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cliRunner, type CliResult } from './cli_helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gf-clierr-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cli = cliRunner(join(tmp, 'home'));
const SHARED = join(import.meta.dirname, '..', '..', 'shared');
const tiny = ['--layers', '1', '--channels', '24', '--heads', '2', '--epochs', '1', '--quiet'];
const run = join(tmp, 'run');

/** Failed with exit code 1 and exactly one stderr line matching `re` (after commander's own hint line, if any). */
function oneLine(r: CliResult, re: RegExp): void {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('(add --help'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^gradformer: error: /);
  assert.match(lines[0], re);
}

before(async () => {
  const r = await cli('train', ...tiny, '--out', run);
  assert.equal(r.code, 0, r.stderr);
});

test('train never overwrites: an --out that holds a run or is a file is refused', async () => {
  const log = readFileSync(join(run, 'log.jsonl'), 'utf8');
  writeFileSync(join(tmp, 'a-file'), 'x');
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  const [again, file, intoEmpty] = await Promise.all([
    cli('train', ...tiny, '--out', run), cli('train', ...tiny, '--out', join(tmp, 'a-file')), cli('train', ...tiny, '--out', empty)]);
  oneLine(again, /--out .*run already holds files \(a run\); continue that run with --resume/);
  assert.equal(readFileSync(join(run, 'log.jsonl'), 'utf8'), log);
  oneLine(file, /--out .*a-file is a file; give a folder/);
  assert.equal(intoEmpty.code, 0, intoEmpty.stderr); // an empty folder is fine
});

test('train --resume refuses options it would ignore, and a folder with nothing to resume', async () => {
  const [others, nothing] = await Promise.all([
    cli('train', '--resume', run, '--lr', '0.5', '--dataset', 'PROTEINS', '--seed', '3', '--no-decay'),
    cli('train', '--resume', join(tmp, 'nope'))]);
  oneLine(others, /--resume continues the run with its stored settings; it takes only --epochs .*; drop --seed, --no-decay, --lr, --dataset$/);
  oneLine(nothing, /nothing to resume in .*nope: no last\/state\.json there/);
});

test('--data-root must hold the dataset: no silent fall-back to the bundled copy; ZINC says it has no download', async () => {
  const emptyRoot = join(tmp, 'empty-root');
  mkdirSync(emptyRoot);
  const [mutag, zinc, listing] = await Promise.all([
    cli('train', ...tiny, '--data-root', emptyRoot, '--out', join(tmp, 'r1')),
    cli('train', '--dataset', 'ZINC', ...tiny, '--data-root', emptyRoot, '--out', join(tmp, 'r2')),
    cli('datasets', '--data-root', emptyRoot)]);
  oneLine(mutag, /dataset MUTAG: no folder MUTAG\/ in --data-root .*empty-root; .*`gradformer datasets --download MUTAG` fetches it/);
  oneLine(zinc, /dataset ZINC: no folder ZINC\/ in --data-root .*; .*it has no download: put its files in <dir>\/ZINC\//);
  assert.doesNotMatch(zinc.stderr, /--download ZINC/);
  assert.equal(listing.code, 0, listing.stderr);
  assert.match(listing.stdout, /^ZINC\s+missing \(no download: put its files in <dir>\/ZINC\/ and pass --data-root <dir>\)/m);
  // --data-root is the only place a run looks: the hint downloads there, and nothing else is said to be searched.
  assert.match(listing.stdout, /^PROTEINS\s+missing \(gradformer datasets --download PROTEINS --data-root .*empty-root\)/m);
  assert.match(listing.stdout, /^searched: .*empty-root only \(--data-root: no bundled copy, no download cache\)$/m);
});

test('options that would do nothing, and bad environment variables, are refused before any work', async () => {
  const [fold, threads, backend, kfoldZinc, clip] = await Promise.all([
    cli('train', ...tiny, '--fold', '3', '--out', join(tmp, 'r3')),
    cliWithEnv({ GRADFORMER_THREADS: 'abc' }, 'train', ...tiny, '--out', join(tmp, 'r4')),
    cliWithEnv({ GRADFORMER_BACKEND: 'foo' }, 'train', ...tiny, '--out', join(tmp, 'r5')),
    cli('experiment', '--preset', 'ZINC', '--protocol', 'kfold', '--out', join(tmp, 'r6')),
    cli('train', ...tiny, '--fix-grad-clip', '--out', join(tmp, 'r7'))]);
  oneLine(fold, /--fold picks a fold of the kfold10 split, and this run's split is random_80_10_10; add --split kfold10 or drop --fold/);
  oneLine(threads, /GRADFORMER_THREADS='abc' is not a thread count/);
  oneLine(backend, /unknown backend 'foo', expected 'native', 'wasm' or 'ts'/);
  oneLine(kfoldZinc, /--protocol kfold re-splits .*; ZINC comes with its official train\/val\/test split.*use --protocol seeds/);
  oneLine(clip, /--fix-grad-clip needs --grad-clip <norm>: add --grad-clip N .* or drop --fix-grad-clip$/); // a usage error, not flagged as a bug
  for (const d of ['r3', 'r4', 'r5', 'r6', 'r7']) assert.throws(() => readFileSync(join(tmp, d, 'config.json')), /ENOENT/, `${d} was written`);
});

test('verify-reference on a file that is not a model fixture, predict on another dataset, commander errors: one line each', async () => {
  const [data, noJson, mismatch, unknown, lower] = await Promise.all([
    cli('verify-reference', join(SHARED, 'fixtures', 'preprocess.safetensors')),
    cli('verify-reference', join(import.meta.dirname, '..', 'README.md')),
    cli('predict', '--checkpoint', run, '--input', 'PROTEINS', '--data-root', join(SHARED, 'datasets')),
    cli('train', '--bogus'),
    cli('train', '--preset', 'mutag', ...tiny, '--out', join(tmp, 'r7'))]);
  oneLine(data, /preprocess\.json has no "config" object, so .*preprocess\.safetensors is not a model fixture/);
  oneLine(noJson, /configuration .*README\.md\.json not found/);
  oneLine(mismatch, /--input PROTEINS does not fit this model, trained on MUTAG: .*node_dim = 7 \(batch has 3\)/);
  oneLine(unknown, /unknown option '--bogus'/);
  assert.equal(lower.code, 0, lower.stderr); // preset names are case-insensitive, as dataset names
  assert.equal(JSON.parse(readFileSync(join(tmp, 'r7', 'config.json'), 'utf8')).preset, 'MUTAG');
});

function cliWithEnv(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return cliRunner(join(tmp, 'home'), env)(...args);
}

test('more --threads than cores: the run goes on, with one warning line saying how many cores there are', async () => {
  const cores = availableParallelism();
  const [over, fit] = await Promise.all([cli('--threads', String(cores + 1), 'models'), cli('--threads', String(cores), 'models')]);
  assert.equal(over.code, 0, over.stderr);
  assert.match(over.stderr, new RegExp(`^gradformer: warning: ${cores + 1} threads on a machine with ${cores} cores?: .*use --threads ${cores} or fewer\\n$`));
  assert.equal(over.stdout, fit.stdout);
  assert.equal(fit.stderr, '');
});

test('--threads auto and GRADFORMER_THREADS=auto train (the log says the count each epoch ran on); a count that is neither is one error line', async () => {
  const [flag, env, bad] = await Promise.all([
    cli('--threads', 'auto', 'train', ...tiny, '--out', join(tmp, 'auto-flag')),
    cliWithEnv({ GRADFORMER_THREADS: 'auto' }, 'train', ...tiny, '--out', join(tmp, 'auto-env')),
    cli('--threads', 'two', 'models')]);
  for (const [r, d] of [[flag, 'auto-flag'], [env, 'auto-env']] as const) {
    assert.equal(r.code, 0, r.stderr);
    const epochs = readFileSync(join(tmp, d, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((o) => !o.final);
    assert.ok(epochs.length > 0 && epochs.every((o) => Number.isInteger(o.threads) && o.threads >= 1 && o.threads <= availableParallelism()), JSON.stringify(epochs.map((o) => o.threads)));
  }
  oneLine(bad, /option '--threads <n\|auto>' argument 'two' is invalid\. expected a thread count >= 1 or auto, got 'two'\./);
});

test('datasets --data-root that does not exist is one error line, not an empty listing', async () => {
  oneLine(await cli('datasets', '--data-root', join(tmp, 'no-such-folder')), /--data-root .*no-such-folder does not exist; pass the folder that holds one sub-folder per dataset$/);
});

test('a reader that closes the pipe early (`gradformer models | head -1`) ends the command quietly: no EPIPE stack trace', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli', 'main.ts'), 'models'],
    { env: { ...process.env, GRADFORMER_HOME: join(tmp, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // nobody reads: the command's first write to stdout fails with EPIPE
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number | null>((res) => child.on('close', res));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});
