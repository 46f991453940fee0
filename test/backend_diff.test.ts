/**
 * scripts/backend-diff.ts: a command runs on the native kernels with every kernel call
 * repeated on another backend; its own output is native's, and its table names the
 * kernels that round differently. Needs the wasm build (CI builds it before the tests).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { cliRunner } from './cli_helpers.js';
import { tmp } from './report_helpers.js';

const script = join(import.meta.dirname, '..', 'scripts', 'backend-diff.ts');
const diff = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
  execFile(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, GRADFORMER_THREADS: '1' } },
    (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
});

it('repeats every kernel on wasm and ts, prints the native output and a row per kernel', async () => {
  const args = ['predict', '--model', 'ogbg-molhiv', '--smiles', 'CCO', 'c1ccccc1O'];
  const plain = await cliRunner(tmp('backend-diff'))(...args);
  assert.equal(plain.code, 0, plain.stderr);
  for (const against of ['wasm', 'ts']) {
    const r = await diff('--against', against, ...args);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(plain.stdout), 'the output is the native one');
    assert.match(r.stderr, new RegExp(`native vs ${against}`));
    const rows = new Map(r.stderr.split('\n').map((l) => l.match(/^(\S+(?: \S+)?)\s+(\d+)\s+(\d+)\s+(.*)$/)).filter((m) => m !== null)
      .map((m) => [m[1], { calls: Number(m[2]), differ: Number(m[3]), what: m[4] }]));
    for (const k of ['matmul', 'attentionForward', 'batchNorm', 'segmentReduce mean']) assert.ok(rows.get(k)!.calls > 0, `${k} ran`);
    // Gathers, BatchNorm and pooling do the same arithmetic in every backend.
    assert.equal(rows.get('batchNorm')!.what, 'bit for bit');
    assert.equal(rows.get('gatherRows')!.what, 'bit for bit');
  }
});

it('refuses an unknown backend to compare against', async () => {
  const r = await diff('--against', 'cuda', 'models');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--against takes 'wasm' or 'ts', not 'cuda'/);
});
