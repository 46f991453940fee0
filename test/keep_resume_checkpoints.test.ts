// scripts/keep-resume-checkpoints.sh, run before committing experiment folders: finished
// runs lose their checkpoints, unfinished ones keep what resuming needs, a run killed in
// the middle of a checkpoint swap gets its previous checkpoint back (it used to be
// deleted as "before its first checkpoint"), and a run with nothing to resume goes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const tmp = mkdtempSync(join(tmpdir(), 'gf-keep-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(name: string, log: string, folders: string[]): string {
  const dir = join(tmp, 'exp', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'log.jsonl'), log);
  for (const f of folders) { mkdirSync(join(dir, f)); writeFileSync(join(dir, f, 'state.json'), '{}'); }
  return dir;
}

test('keep-resume-checkpoints: finished runs lose best/ and last/, interrupted ones keep them, a half-done swap is undone', () => {
  const epoch = '{"epoch":1}\n';
  const finished = run('run-0', epoch + '{"final":true,"best_epoch":1}\n', ['best', 'last']);
  const open = run('run-1', epoch, ['best', 'last']);
  const swapped = run('run-2', epoch, ['best', 'last.old-4194999', 'last.tmp-4194999']);
  const nothing = run('run-3', '', []);
  const r = spawnSync('bash', ['scripts/keep-resume-checkpoints.sh', join(tmp, 'exp')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(finished).sort(), ['log.jsonl']);
  assert.deepEqual(readdirSync(open).sort(), ['best', 'last', 'log.jsonl']);
  assert.deepEqual(readdirSync(swapped).sort(), ['best', 'last', 'log.jsonl']);
  assert.ok(existsSync(join(swapped, 'last', 'state.json')));
  assert.equal(existsSync(nothing), false);
  assert.match(r.stderr, /run-2: restored last\/ from last\.old-4194999/);
});
